"""vidcore-detection against MMAction2 1.2.0: the AVA evaluation (``ava_eval`` and ``AVAMetric``
on random cases) and, piece by piece, the detectors (see the detection README).

MMAction2's ``ava_eval`` maps frames over ``multiprocessing.Pool(32)``; the tests replace the pool
with an in-process ``map`` so its own single-process pieces (``read_csv``, ``tpfp_single``,
``compute_precision_recall``, ``compute_average_precision``) run unchanged on 2 cores.

Run: ``/work/mmenv/bin/python -m pytest tests/parity/test_detection_parity.py -q``.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mm_helpers import require_mmaction

from vidcore.data.annotations.labelmap import read_label_map
from vidcore.detection.evaluation import AVAFrameMAP, ava_frame_map, read_rows


class _SerialPool:
    def __init__(self, processes: int | None = None) -> None:
        pass

    def map(self, fn: Any, items: Any) -> list[Any]:
        return [fn(x) for x in items]


@pytest.fixture
def ava_utils(monkeypatch: pytest.MonkeyPatch) -> Any:
    require_mmaction()
    from mmaction.evaluation.functional import ava_utils as mod

    monkeypatch.setattr(mod.multiprocessing, "Pool", _SerialPool)
    return mod


def _box(rng: random.Random) -> list[float]:
    x1, y1 = rng.random() * 0.6, rng.random() * 0.6
    return [x1, y1, x1 + 0.1 + rng.random() * 0.3, y1 + 0.1 + rng.random() * 0.3]


def _write_case(d: Path, seed: int) -> tuple[Path, Path, Path, Path | None]:
    """Random label map (1-6 of 11 ids), ground truth on most keyframes, detections jittered from
    the ground truth plus false positives, some on keyframes without ground truth, some
    degenerate, scores with ties every other case, 30-90 rows per keyframe, excluded keyframes in
    every third case."""
    rng = random.Random(seed)
    ids = sorted(rng.sample(range(1, 12), rng.randint(1, 6)))
    (d / "lm.pbtxt").write_text("".join(f'item {{\n  name: "c{i}"\n  id: {i}\n}}\n' for i in ids))
    frames = [(f"vid{v}", 900 + t) for v in range(3) for t in range(rng.randint(1, 5))]
    gt_lines, det_lines = [], []
    for v, t in frames:
        if rng.random() < 0.8:
            people = [_box(rng) for _ in range(rng.randint(1, 4))]
            for p, b in enumerate(people):
                for c in rng.sample(range(1, 12), rng.randint(1, 3)):
                    gt_lines.append(f"{v},{t},{b[0]:.3f},{b[1]:.3f},{b[2]:.3f},{b[3]:.3f},{c},{p}")
            cand = people + [_box(rng) for _ in range(rng.randint(0, 3))]
        else:
            cand = [_box(rng) for _ in range(rng.randint(1, 3))]
        for b in cand:
            b = [min(1.0, max(0.0, x + rng.gauss(0, 0.04))) for x in b]
            b = [min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])]  # MMAction2 rejects inverted boxes
            if rng.random() < 0.1:
                b[2] = b[0]
            for c in range(1, 12):
                if rng.random() < 0.6:
                    s = rng.random() if seed % 2 else round(rng.random(), 2)
                    det_lines.append(f"{v},{t},{b[0]:.4f},{b[1]:.4f},{b[2]:.4f},{b[3]:.4f},{c},{s}")
    rng.shuffle(det_lines)
    (d / "gt.csv").write_text("\n".join(gt_lines) + "\n")
    (d / "det.csv").write_text("\n".join(det_lines) + "\n")
    exclude = None
    if seed % 3 == 1:
        exclude = d / "ex.csv"
        exclude.write_text("".join(f"{v},{t:04d}\n" for v, t in rng.sample(frames, 1)))
    return d / "gt.csv", d / "det.csv", d / "lm.pbtxt", exclude


def _per_class_printed(text: str) -> dict[int, float]:
    out = {}
    for line in text.splitlines():
        if line.startswith("Index: "):
            cid = int(line.split(",")[0].split()[1])
            out[cid] = float(line.rsplit("AP:", 1)[1].strip(" ;"))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_ava_eval_random_cases(ava_utils: Any, tmp_path: Path, seed: int) -> None:
    gt, det, lm, exclude = _write_case(tmp_path, seed)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ava_utils.ava_eval(str(det), "mAP", str(lm), str(gt), None if exclude is None else str(exclude))
    ours = ava_frame_map(gt, det, lm, exclude, mode="mmaction")
    for key, value in (("overall", ours.mean_ap), *ours.groups.items()):
        if math.isnan(theirs[key]):
            assert math.isnan(value), key
        else:
            assert value == pytest.approx(theirs[key], abs=1e-12), key
    printed = _per_class_printed(out.getvalue())
    assert printed, "MMAction2 printed no per-class AP"
    for cid, ap in ours.ap.items():
        if cid in printed and not math.isnan(printed[cid]):
            assert round(ap, 4) == pytest.approx(printed[cid], abs=1e-9), cid
        else:
            assert math.isnan(ap), cid


@pytest.mark.parametrize("seed", range(6))
def test_ava_metric_from_model_outputs(ava_utils: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       seed: int) -> None:
    """``AVAMetric`` (``bbox2result`` with ``action_thr``, ``results2csv`` at 4 decimals,
    ``ava_eval``) equals :class:`AVAFrameMAP` in MMAction2 mode with ``decimals=4``."""
    import torch
    from mmaction.evaluation.metrics.ava_metric import AVAMetric

    gt, _, _, _ = _write_case(tmp_path, seed)
    lm = tmp_path / "lm_all.pbtxt"
    lm.write_text("".join(f'item {{\n  name: "c{i}"\n  id: {i}\n}}\n' for i in range(1, 12)))
    g = read_rows(gt)
    rng = np.random.default_rng(seed)
    samples = []
    ours = AVAFrameMAP(g, read_label_map(lm), mode="mmaction", action_thr=0.002, decimals=4)
    for key in dict.fromkeys(g.keys):
        sel = [i for i, k in enumerate(g.keys) if k == key]
        boxes = np.unique(g.boxes[sel], axis=0)
        boxes = np.clip(boxes + rng.normal(0, 0.03, boxes.shape), 0, 1).astype(np.float32)
        scores = rng.random((len(boxes), 12)).astype(np.float32) ** 3
        scores[scores < 0.01] = 0.001  # below action_thr: not written
        vid, ts = key.split(",")
        samples.append({"video_id": vid, "timestamp": int(ts),
                        "pred_instances": {"bboxes": torch.from_numpy(boxes), "scores": torch.from_numpy(scores)}})
        ours.update([key], [boxes], [scores])
    metric = AVAMetric(ann_file=str(gt), exclude_file=None, label_file=str(lm), num_classes=12)
    metric.process([], samples)
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        theirs = metric.compute_metrics(metric.results)
    mine = ours.compute()
    assert mine["mAP"] == pytest.approx(theirs["overall"], abs=1e-12)
    assert mine["mAP_person_movement"] == pytest.approx(theirs["person_movement"], abs=1e-12)
