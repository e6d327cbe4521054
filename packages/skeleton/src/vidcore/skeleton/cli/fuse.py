"""``vidcore-skeleton fuse SCORES... [--weights W...]``: fuse per-stream score files (the shared
verb, :mod:`vidcore.core.fuse_cli`)."""

from __future__ import annotations

from vidcore.core.fuse_cli import FuseVerb

EXAMPLES = [
    "vidcore-skeleton fuse runs/j/test/scores.npz runs/b/test/scores.npz",
    "vidcore-skeleton fuse j.npz b.npz jm.npz bm.npz --weights 2 2 1 1 --json",
    "vidcore-skeleton fuse joint.pkl bone.pkl                      # MMAction2 dumps",
]

add_parser, run = FuseVerb(
    "vidcore-skeleton",
    examples=EXAMPLES,
    help="fuse the scores of several streams (joint, bone, motion) and print the fused top-1",
).bind()
