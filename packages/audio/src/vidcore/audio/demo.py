"""The audio-visual demo: render the motion x sound set, train the audio model, and fuse its
scores with the visual model's through score files, printing the three top-1 figures.

    vidcore-audio demo                                  # everything, into av_out/
    vidcore-audio demo --visual-scores visual.npz       # fuse with a visual score file you have

Steps (nothing is downloaded; minutes on 2 CPU cores):

1. ``vidcore-data synth --audio``: 4 motions x 2 sounds = 8 classes of H.264 + AAC clips.
2. The visual model, through its command line only (vidcore-audio never imports
   vidcore-recognition): ``vidcore-recognition train`` (the TSM-R18 synthetic demo recipe on the
   8 classes), then its per-video probabilities on the held-out split are written as a score file
   (``test --save-scores`` when that verb offers it, else from ``infer --json`` over all classes).
   Skipped with ``--visual-scores FILE``; without vidcore-recognition installed the demo stops
   here and says so.
3. The audio model: ``tsn_r18_synth_av_demo`` trained from scratch; ``test --save-scores``.
4. Late fusion, ``vidcore-audio fuse`` (:func:`vidcore.core.scores.fuse` with ``combine="product"``:
   a product of the two models' probabilities; the sum of probabilities, MMAction2's 1:1, is
   printed too): top-1 of video alone (at most 50%: it cannot hear the sound), audio alone (at
   most 25% in expectation: it cannot see the motion) and fused; ``fusion.json``;
   ``spectrogram.png`` (a held-out clip's log-mel with the sound the audio model hears).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DEMO_CONFIG = "tsn_r18_synth_av_demo"
VISUAL_CONFIG = "tsm_r18_1x1x8_synth_demo"
TARGET_FUSED = 0.90
TARGET_SECONDS = 600


def _banner(step: str) -> None:
    print(f"\n=== {step} ===", flush=True)


def _recognition_cli() -> list[str] | None:
    """The visual CLI as a command (``python -m vidcore.recognition.cli``), or None if not installed."""
    if importlib.util.find_spec("vidcore.recognition") is None:
        return None
    return [sys.executable, "-m", "vidcore.recognition.cli"]


def _run(cmd: list[str]) -> str:
    shown = " ".join(cmd[2:] if cmd[1] == "-m" else cmd)
    print(f"$ {shown.replace('vidcore.recognition.cli', 'vidcore-recognition', 1)}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{shown} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def visual_scores(data: Path, out: Path, *, epochs: int, threads: int) -> Path:
    """Train the visual model with ``vidcore-recognition`` and write its held-out score file."""
    from vidcore.core.scores import write_scores

    cli = _recognition_cli()
    if cli is None:
        raise RuntimeError("vidcore-recognition is not installed: pip install vidcore-recognition, or pass --visual-scores")
    work = out / "visual_work_dir"
    shutil.rmtree(work, ignore_errors=True)
    sets = [
        f"data.root={data}", f"data.train_list={data / 'train.txt'}", f"data.val_list={data / 'val.txt'}",
        f"data.label_map={data / 'label_map.txt'}", f"data.flip_label_map={data / 'flip_label_map.json'}",
        "model.num_classes=8", f"trainer.max_epochs={epochs}", "trainer.progress_bar=false",
    ]  # fmt: skip
    env_threads = {"OMP_NUM_THREADS": str(threads)}
    os.environ.update(env_threads)
    _run([*cli, "train", VISUAL_CONFIG, "--set", *sets, "--work-dir", str(work)])
    target = out / "visual_scores.npz"
    if "--save-scores" in _run([*cli, "test", "--help"]):
        _run([*cli, "test", str(work), "--save-scores", str(target), "--no-progress"])
        return target
    # per-video probabilities of every class from `infer --json` (one JSON object per video)
    lines = (data / "val.txt").read_text().split("\n")
    records = [ln.split() for ln in lines if ln.strip()]
    names = [ln.strip() for ln in (data / "label_map.txt").read_text().splitlines() if ln.strip()]
    stdout = _run([*cli, "infer", *[str(data / r[0]) for r in records], "--config", str(work / "config.json"),
                   "--checkpoint", str(work / "best.pth"), "--top-k", str(len(names)), "--json"])  # fmt: skip
    by_path = {}
    for line in stdout.splitlines():
        row = json.loads(line)
        if "error" in row:
            raise RuntimeError(f"vidcore-recognition infer could not read {row['path']}: {row['error']}")
        probs = [0.0] * len(names)
        for label, score in zip(row["labels"], row["scores"], strict=True):
            probs[label] = score
        by_path[row["path"]] = probs
    scores = [by_path[str(data / r[0])] for r in records]
    return write_scores(target, scores, [int(r[1]) for r in records], [r[0] for r in records], class_names=names)


def plot_spectrogram(features: Any, title: str, path: Path, *, frame_seconds: float) -> Path | None:
    """Write a log-mel ``(T, F)`` image with ``title``; None (and a message) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no spectrogram.png (pip install matplotlib)")
        return None
    fig, ax = plt.subplots(figsize=(7, 3.2))
    t, f = features.shape
    ax.imshow(features.T, origin="lower", aspect="auto", cmap="magma", extent=(0, t * frame_seconds, 0, f))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run_demo(
    out: str | Path = "av_out",
    *,
    videos_per_class: int = 40,
    audio_epochs: int | None = None,
    visual_epochs: int = 6,
    visual_scores_file: str | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Every step; returns the three top-1 figures, the mean class accuracies and the seconds."""
    import torch

    from vidcore.core.experiment import load_experiment
    from vidcore.core.fuse_cli import format_report
    from vidcore.core.scores import fuse
    from vidcore.data.synth import SynthConfig
    from vidcore.data.synth_audio import render_av_dataset

    from .experiment import TASK, resolved_preset, test, train
    from .inference import file_clips, load_audio_recognizer, predict_file

    t0 = time.time()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    threads = threads or min(2, os.cpu_count() or 1)
    torch.set_num_threads(threads)

    _banner(f"1/4 rendering the audio-visual set (8 classes = 4 motions x 2 sounds, {videos_per_class} per class)")
    data = render_av_dataset(out / "data", SynthConfig(videos_per_class=videos_per_class), workers=threads)

    _banner("2/4 the visual model (vidcore-recognition, through its command line and a score file)")
    if visual_scores_file:
        visual = Path(visual_scores_file)
        print(f"using {visual}")
    else:
        visual = visual_scores(data, out, epochs=visual_epochs, threads=threads)
    t_visual = time.time() - t0

    _banner("3/4 the audio model: TSN-R18 on log-mel clips, from scratch")
    sets = [f"data.root={data}", f"data.train_list={data / 'train.txt'}", f"data.val_list={data / 'val.txt'}",
            f"data.label_map={data / 'label_map.txt'}", f"work_dir={out / 'audio_work_dir'}",
            "trainer.progress_bar=false", "trainer.resume=null"]  # fmt: skip
    if audio_epochs is not None:
        sets.append(f"trainer.max_epochs={audio_epochs}")
    exp = load_experiment(TASK, DEMO_CONFIG, sets)
    shutil.rmtree(exp.work_dir, ignore_errors=True)
    train(exp)
    best = Path(exp.work_dir) / "best.pth"
    audio = out / "audio_scores.npz"
    test(exp, best, progress=False, save_scores=audio)

    _banner("4/4 late fusion of the two score files")
    # the same as `vidcore-audio fuse VISUAL AUDIO [--product]` (vidcore.core.fuse_cli)
    summed = fuse([visual, audio], weights=[1.0, 1.0])  # MMAction2's report_accuracy: probabilities summed
    print(f"$ vidcore-audio fuse {visual} {audio}\n{format_report(summed)}")
    # a product of the probabilities (log-probabilities summed): the video model cannot hear the
    # sound and splits a motion's probability unevenly between the two sounds; in a sum that split
    # can outvote the audio model, in a product the audio's near-zero for the wrong sound decides
    result = fuse([visual, audio], weights=[1.0, 1.0], combine="product")
    print(f"$ vidcore-audio fuse {visual} {audio} --product\n{format_report(result)}")
    video_r, audio_r = result.inputs
    fused = result.fused
    summary: dict[str, Any] = {
        "top1_video": video_r.top1, "top1_audio": audio_r.top1, "top1_fused": fused.top1,
        "mean_class_accuracy": {"video": video_r.mean_class_accuracy, "audio": audio_r.mean_class_accuracy,
                                "fused": fused.mean_class_accuracy},
        "top1_fused_sum_of_probabilities": summed.fused.top1,
        "num_samples": len(result.labels), "seconds": round(time.time() - t0, 1),
        "seconds_visual": round(t_visual, 1),
    }  # fmt: skip
    (out / "fusion.json").write_text(json.dumps({**summary, **result.to_dict()}, indent=1) + "\n")

    model, preset = load_audio_recognizer(exp.model.preset, best, num_classes=8)
    preset = dataclasses.replace(resolved_preset(exp), name=preset.name)
    names = [ln.strip() for ln in (data / "label_map.txt").read_text().splitlines() if ln.strip()]
    clip_path = data / result.sample_ids[0]
    probs = predict_file(model, preset, clip_path)
    clips = file_clips(preset, clip_path)
    clip = clips[len(clips) // 2].numpy()  # the middle test clip, (T, F)
    meta = json.loads((data / "av_classes.json").read_text())
    sound_of = [c["sound"] for c in meta["classes"]]
    heard = {s: float(sum(p for p, c in zip(probs.tolist(), sound_of, strict=True) if c == s)) for s in meta["sounds"]}
    best_sound = max(heard, key=heard.get)  # type: ignore[arg-type]
    title = (f"{clip_path.name} (true class {names[int(result.labels[0])]})\n"
             f"the audio model hears {best_sound} (p = {heard[best_sound]:.2f}, summed over the motions)")  # fmt: skip
    png = plot_spectrogram(clip, title, out / "spectrogram.png", frame_seconds=preset.hop_length / preset.sample_rate)

    ok = fused.top1 >= TARGET_FUSED and fused.top1 > max(video_r.top1, audio_r.top1)
    print(
        f"\nheld-out top-1 on {summary['num_samples']} clips: video {video_r.top1:.1%}, audio {audio_r.top1:.1%}, "
        f"fused {fused.top1:.1%} (target fused >= {TARGET_FUSED:.0%} and above both: {'met' if ok else 'MISSED'}); "
        f"{summary['seconds'] / 60:.1f} min in all (target < {TARGET_SECONDS // 60} min).\n"
        f"files: {visual}, {audio}, {out / 'fusion.json'}" + (f", {png}" if png else "")
    )
    return summary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="av_out", help="output folder (default av_out/)")
    p.add_argument("--videos-per-class", type=int, default=40, help="clips per class (default 40)")
    p.add_argument("--audio-epochs", type=int, help="audio training epochs (default: the demo config's)")
    p.add_argument("--visual-epochs", type=int, default=6, help="visual training epochs (default 6)")
    p.add_argument("--visual-scores", help="a visual score file (.npz) to fuse with instead of training one")
    p.add_argument("--threads", type=int, help="CPU threads (default: min(2, cores))")


def run_from_args(args: argparse.Namespace) -> int:
    summary = run_demo(args.out, videos_per_class=args.videos_per_class, audio_epochs=args.audio_epochs,
                       visual_epochs=args.visual_epochs, visual_scores_file=args.visual_scores,
                       threads=args.threads)  # fmt: skip
    return 0 if summary["top1_fused"] >= TARGET_FUSED else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vidcore.audio.demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    add_arguments(p)
    return run_from_args(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
