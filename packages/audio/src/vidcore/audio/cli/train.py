"""``vidcore-audio train CONFIG``: the shared train verb on the audio task."""

from __future__ import annotations

from vidcore.core.experiment_cli import TrainVerb

from ..experiment import TASK

EPILOG = """examples:
  vidcore-audio train --list-configs
  vidcore-audio train tsn_r18_synth_av_demo --set data.root=av_data data.train_list=av_data/train.txt \\
      data.val_list=av_data/val.txt data.label_map=av_data/label_map.txt --work-dir runs/audio
  vidcore-audio train runs/audio --resume
  torchrun --nproc_per_node 8 -m vidcore.audio.cli train tsn_r18_8xb320_64x1x1_100e_kinetics400_audio_feature

Overrides are `a.b.c=value` paths into the Experiment (model.*, data.*, trainer.*, work_dir)."""

add_parser, run = TrainVerb(TASK, examples=EPILOG).bind()
