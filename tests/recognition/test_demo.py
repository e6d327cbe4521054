"""The README's demo flow end to end on a small rendered set: render, train, test, infer, annotate.

The full demo (80 videos per class, 10 epochs) targets >= 90% top-1; this smaller run must still
learn the motion classes well above chance (1/8), which a model that ignores time cannot do."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from vidcore.recognition.demo import run_demo

# the demo draws its confusion matrix and training curve with the plot extra
pytest.importorskip("matplotlib", reason="the demo's plots need matplotlib: pip install 'vidcore-recognition[plot]'")

CHANCE = 1 / 8


def test_demo_flow_learns_motion_well_above_chance(tmp_path, capsys) -> None:
    out = tmp_path / "demo"
    summary = run_demo(
        out,
        videos_per_class=40,
        epochs=8,
        workers=0,
        overrides=["data.short_side=40", "data.crop_size=32", "data.test_crop_size=32"],
        infer_videos=2,
    )
    printed = capsys.readouterr().out
    assert summary["top1"] >= 3 * CHANCE, summary
    # every artefact the README promises
    for name in ("confusion_matrix.png", "training_curve.png", "test_results.json", "annotated.mp4"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "test_results.json").read_text())
    assert abs(results["top1"] - summary["top1"]) < 1e-9
    cm = np.loadtxt(out / "confusion_matrix.csv", delimiter=",", dtype=np.int64)
    assert cm.shape == (8, 8) and cm.sum() == results["num_samples"] == 8 * 10
    assert abs(np.trace(cm) / cm.sum() - summary["top1"]) < 1e-9  # top-1 is the matrix's diagonal share
    # infer printed top-3 labels for the held-out videos it was given
    assert printed.count("move_") + printed.count("rotate_") + printed.count("zoom_") >= 3
    # the annotated copy is a real video with as many frames as its source
    with av.open(str(out / "annotated.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) >= 24
