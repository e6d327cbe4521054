"""``vidcore-audio fuse SCORES...``: audio-visual late fusion of score files (the shared verb,
:mod:`vidcore.core.fuse_cli`)."""

from __future__ import annotations

from vidcore.core.fuse_cli import FuseVerb

EXAMPLES = [
    "vidcore-audio fuse visual_scores.npz audio_scores.npz                # MMAction2's 1:1 sum",
    "vidcore-audio fuse visual_scores.npz audio_scores.npz --product      # product of probabilities",
    "vidcore-audio fuse rgb.npz audio.npz --weights 1 0.5 --json --out fused.npz",
]

add_parser, run = FuseVerb(
    "vidcore-audio", examples=EXAMPLES, help="fuse video and audio score files: each one's and the fused top-1"
).bind()
