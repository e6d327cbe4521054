"""``vidcore-audio test CONFIG [CHECKPOINT] [--save-scores FILE]``: the shared test verb on the audio
task, plus the per-sample score file used for late fusion (:mod:`vidcore.core.scores`)."""

from __future__ import annotations

from vidcore.core.experiment_cli import TestVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-audio test runs/audio                         # the run's config and best.pth
  vidcore-audio test runs/audio --save-scores audio_scores.npz
  vidcore-audio test tsn_r18_synth_av_demo best.pth --set data.val_list=av_data/val.txt data.root=av_data
  vidcore-audio test runs/audio --json --out runs/audio/test

Prints top-1 (top-5 with >= 5 classes) and mean class accuracy over data.test_list (else
data.val_list), averaging the preset's test clips per sample. --save-scores writes each sample's
class probabilities (.npz: scores, labels, sample_ids = the list's paths, class_names), the format
every vidcore task writes, to be fused with other models' files (vidcore.core.scores.fuse)."""


add_parser, run = TestVerb(
    TASK, examples=EPILOG, summary="evaluate a checkpoint (top-1, mean class accuracy; --save-scores)"
).bind()
