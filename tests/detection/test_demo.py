"""The demo end to end on a tiny run (2 training clips, one epoch): every promised file appears and
the printed frame-mAP is the one the evaluation reports for the held-out ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from vidcore.detection.demo import run_demo


def test_tiny_demo_writes_its_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    summary = run_demo(out, epochs=1, train_videos=2, val_videos=1, batch_size=4, num_workers=0)
    printed = capsys.readouterr().out
    assert f"held-out frame-mAP@0.5: {summary['mAP']:.4f} (1 clips)" in printed
    assert 0.0 <= summary["mAP"] <= 1.0 and summary["cpu_seconds"] > 0 and summary["seconds"] > 0
    assert json.loads((out / "summary.json").read_text())["mAP"] == summary["mAP"]
    results = json.loads((out / "test" / "test_results.json").read_text())
    assert results["mAP"] == pytest.approx(summary["mAP"], abs=1e-12)
    assert [row["name"] for row in results["per_class"]] == ["bob", "sway", "pulse", "flash"]
    dets = json.loads((out / "detections.json").read_text())
    assert [k["timestamp"] for k in dets["keyframes"]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    with av.open(str(out / "annotated.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 48 and frames[0].shape == (96, 128, 3)
    pytest.importorskip("matplotlib")
    assert (out / "per_class_ap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
