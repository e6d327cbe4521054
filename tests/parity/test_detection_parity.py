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
        ours.update(img_keys=[key], boxes=[boxes], scores=[scores])
    metric = AVAMetric(ann_file=str(gt), exclude_file=None, label_file=str(lm), num_classes=12)
    metric.process([], samples)
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        theirs = metric.compute_metrics(metric.results)
    mine = ours.compute()
    assert mine["mAP"] == pytest.approx(theirs["overall"], abs=1e-12)
    assert mine["mAP_person_movement"] == pytest.approx(theirs["person_movement"], abs=1e-12)


# ---------------------------------------------------------------------------------------------
# detectors, piece by piece: MMAction2's backbone (its registry), RoI extractor (its class, with
# mmcv's compiled RoIAlign replaced by torchvision's aligned RoIAlign: the same operator, checked
# against an independent bilinear implementation in tests/detection), shared heads and bbox head
# (its classes), assembled under FastRCNN's key names, against our detector built from the preset.

import sys  # noqa: E402
import types  # noqa: E402

import torch  # noqa: E402
from mm_helpers import (  # noqa: E402
    assert_all_consumed,
    compare,
    count_params,
    load_mm_config,
    reinit_,
    save_and_reload_state_dict,
    strict_load,
)
from torch import nn  # noqa: E402

from vidcore.detection.models.lfb import FeatureBank  # noqa: E402
from vidcore.detection.registry import get_preset  # noqa: E402


class _TorchvisionRoIAlign(nn.Module):
    """Stands in for mmcv.ops.RoIAlign (avg pooling, aligned) with torchvision's operator."""

    def __init__(self, output_size: int, spatial_scale: float, sampling_ratio: int = 0,
                 pool_mode: str = "avg", aligned: bool = True) -> None:
        super().__init__()
        assert pool_mode == "avg" and aligned
        self.args = (output_size, spatial_scale, sampling_ratio)

    def forward(self, x: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        from torchvision.ops import roi_align

        size, scale, ratio = self.args
        return roi_align(x, rois, size, scale, ratio, aligned=True)


@pytest.fixture
def mm_roi_classes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """MMAction2's RoI classes, importable without mmdet (only a type it names is stubbed) and
    constructible without mmcv's compiled ops (RoIAlign stubbed as above)."""
    require_mmaction()
    for name in ("mmdet", "mmdet.models", "mmdet.models.task_modules", "mmdet.models.task_modules.samplers"):
        if name not in sys.modules:
            mod = types.ModuleType(name)
            mod.SamplingResult = object  # type: ignore[attr-defined]
            monkeypatch.setitem(sys.modules, name, mod)
    ops = types.ModuleType("mmcv.ops")
    ops.RoIAlign = _TorchvisionRoIAlign  # type: ignore[attr-defined]
    ops.RoIPool = None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mmcv.ops", ops)
    from mmaction.models.roi_heads.bbox_heads.bbox_head import BBoxHeadAVA
    from mmaction.models.roi_heads.roi_extractors.single_straight3d import SingleRoIExtractor3D
    from mmaction.models.roi_heads.shared_heads.acrn_head import ACRNHead
    from mmaction.models.roi_heads.shared_heads.fbo_head import FBOHead

    return {"BBoxHeadAVA": BBoxHeadAVA, "SingleRoIExtractor3D": SingleRoIExtractor3D,
            "ACRNHead": ACRNHead, "FBOHead": FBOHead}


def _kwargs(cfg: Any) -> dict[str, Any]:
    d = dict(cfg)
    d.pop("type", None)
    return d


class _MMRoIHead(nn.Module):
    def __init__(self, extractor: nn.Module, bbox_head: nn.Module, shared_head: nn.Module | None) -> None:
        super().__init__()
        self.bbox_roi_extractor = extractor
        if shared_head is not None:
            self.shared_head = shared_head
        self.bbox_head = bbox_head


class _MMDetector(nn.Module):
    """FastRCNN's key layout: ``backbone.``, ``roi_head.{shared_head,bbox_head}.``."""

    def __init__(self, backbone: nn.Module, roi_head: _MMRoIHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.roi_head = roi_head

    def forward(self, x: torch.Tensor, rois: torch.Tensor, img_metas: list[dict[str, Any]]) -> torch.Tensor:
        feats = self.backbone(x)
        roi_feats, feat = self.roi_head.bbox_roi_extractor(feats, rois)
        if hasattr(self.roi_head, "shared_head"):
            roi_feats = self.roi_head.shared_head(roi_feats, feat=feat, rois=rois, img_metas=img_metas)
        return self.roi_head.bbox_head(roi_feats)


def _bank_files(tmp: Path, seed: int) -> dict[str, dict[int, list[torch.Tensor]]]:
    """A small bank around the test keyframes, at most 5 people a second (the sampling is then a
    permutation, which the operators are invariant to)."""
    g = torch.Generator().manual_seed(seed)
    data: dict[str, dict[int, list[torch.Tensor]]] = {}
    for video in ("vidA", "vidB"):
        for sec in range(880, 930, 3):
            data.setdefault(video, {})[sec] = [torch.randn(2048, generator=g) for _ in range(1 + sec % 4)]
    for split in ("train", "val"):
        torch.save(data, tmp / f"lfb_{split}.pkl")
    return data


def _build_mm(config: str, classes: dict[str, Any], tmp: Path) -> _MMDetector:
    from mmaction.registry import MODELS

    cfg = load_mm_config(config).model
    backbone_cfg = cfg.backbone
    backbone_cfg.pop("pretrained", None)
    with torch.no_grad():
        backbone = MODELS.build(backbone_cfg)
    rh = cfg.roi_head
    extractor = classes["SingleRoIExtractor3D"](**_kwargs(rh.bbox_roi_extractor))
    shared = None
    if "shared_head" in rh:
        sh = _kwargs(rh.shared_head)
        if rh.shared_head.type == "FBOHead":
            sh["lfb_cfg"] = dict(sh["lfb_cfg"], lfb_prefix_path=str(tmp), device="cpu")
        shared = classes[rh.shared_head.type](**sh)
    bbox_head = classes["BBoxHeadAVA"](**_kwargs(rh.bbox_head))
    return _MMDetector(backbone, _MMRoIHead(extractor, bbox_head, shared)).eval()


#: Every preset with a stock MMAction2 config.
DETECTOR_PRESETS = [
    "slowonly_r50_4x16x1_ava21",
    "slowonly_r50_k700_4x16x1_ava21",
    "slowonly_r50_nl_4x16x1_ava21",
    "slowonly_r50_nl_8x8x1_ava21",
    "slowonly_r101_8x8x1_ava21",
    "slowfast_r50_4x16x1_ava21",
    "slowfast_r50_context_4x16x1_ava21",
    "slowfast_r50_8x8x1_ava21",
    "slowfast_r50_8x8x1_ava22",
    "slowfast_r50_temporal_max_8x8x1_ava22",
    "slowfast_r50_temporal_max_focal_8x8x1_ava22",
    "slowfast_acrn_r50_8x8x1_ava21",
    "slowfast_acrn_r50_8x8x1_ava22",
    "slowonly_lfb_nl_r50_4x16x1_ava21",
    "slowonly_lfb_max_r50_4x16x1_ava21",
    "videomae_vit_base_p16_16x4x1_ava_kinetics",
    "videomae_vit_large_p16_16x4x1_ava_kinetics",
]


def test_every_config_preset_is_checked() -> None:
    from vidcore.detection.registry import list_presets

    assert {p.name for p in list_presets() if p.mmaction_config} == set(DETECTOR_PRESETS)


@pytest.mark.parametrize("name", DETECTOR_PRESETS)
def test_detector_parity(mm_roi_classes: dict[str, Any], tmp_path: Path, name: str) -> None:
    torch.set_num_threads(1)
    preset = get_preset(name)
    assert preset.mmaction_config is not None
    if "lfb" in name:
        bank = _bank_files(tmp_path, 0)
    theirs = _build_mm(preset.mmaction_config, mm_roi_classes, tmp_path)
    ours = preset.build().eval()
    # Keys 1:1: FastRCNN's own for the ResNet families, through the VideoMAE renames for the ViTs.
    assert preset.convert_mmaction is not None
    mapped = preset.convert_mmaction(theirs.state_dict())
    assert len(mapped) == len(theirs.state_dict()), "two MMAction2 keys map to one"
    assert sorted(ours.state_dict()) == sorted(mapped), "state-dict keys differ from FastRCNN's"
    assert count_params(ours) == count_params(theirs)
    reinit_(theirs, seed=7)
    sd = save_and_reload_state_dict(theirs, tmp_path / "mm.pth", remove=True)
    converted = preset.convert_mmaction(sd)  # type: ignore[misc]
    assert_all_consumed(sd, converted)
    strict_load(ours, converted)
    if "lfb" in name:
        ours.roi_head.shared_head.bank = FeatureBank(
            {v: {t: torch.stack(f) for t, f in secs.items()} for v, secs in bank.items()}
        )
    g = torch.Generator().manual_seed(3)
    t = preset.clip_len
    # ViTs on 64x80 frames (4x5 tokens a tubelet, the position table resized): ViT-L stays affordable.
    scale = 0.5 if "videomae" in name else 1.0
    x = torch.randn(2, 3, t, int(128 * scale), int(160 * scale), generator=g)  # normalized (N, C, T, H, W)
    rois = torch.tensor([[0, 10.0, 12.0, 90.0, 120.0], [0, 50.5, 3.2, 150.0, 60.7], [1, 0.0, 0.0, 160.0, 128.0],
                         [1, 33.3, 44.4, 70.1, 127.9], [1, 5.0, 80.0, 40.0, 100.0]])
    rois[:, 1:] *= scale
    keys = ["vidA,0902", "vidA,0902", "vidB,0905", "vidB,0905", "vidB,0905"]
    metas = [{"img_key": "vidA,0902"}, {"img_key": "vidB,0905"}]
    feats: dict[str, Any] = {}
    ours.backbone.register_forward_hook(lambda m, i, o: feats.setdefault("ours", o))
    theirs.backbone.register_forward_hook(lambda m, i, o: feats.setdefault("theirs", o))
    with torch.no_grad():
        mine = ours(x, rois, keys)
        ref = theirs(x, rois, metas)
    # The backbones' feature maps (one, or SlowFast's two pathways) first, then the logits.
    pairs = zip(*(f if isinstance(f, tuple) else (f,) for f in (feats["ours"], feats["theirs"])), strict=True)
    for a, b in pairs:
        assert a.shape == b.shape
        print(name, "features", tuple(a.shape), compare(a, b))
    stats = compare(mine, ref)
    print(name, stats)


@pytest.mark.parametrize(("alpha", "gamma"), [(1.0, 0.0), (3.0, 1.0)])
def test_bbox_head_loss_parity(mm_roi_classes: dict[str, Any], alpha: float, gamma: float) -> None:
    from mmengine.config import ConfigDict

    from vidcore.detection.models.roi_head import BBoxHeadAVA

    theirs = mm_roi_classes["BBoxHeadAVA"](background_class=True, in_channels=16, num_classes=81,
                                           focal_alpha=alpha, focal_gamma=gamma)
    ours = BBoxHeadAVA(16, 81, focal_alpha=alpha, focal_gamma=gamma)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(9, 81, generator=g) * 2
    labels = (torch.rand(6, 81, generator=g) < 0.1).float()
    labels[0] = 0.0  # a positive RoI whose only labels are... none: dropped like a negative
    labels[1, 0] = 1.0  # column 0 is ignored
    sampling = types.SimpleNamespace(pos_priors=torch.zeros(6, 4), neg_priors=torch.zeros(3, 4), pos_gt_labels=labels)
    out = theirs.loss_and_target(logits, torch.zeros(9, 5), [sampling], ConfigDict(pos_weight=1.0))["loss_bbox"]
    targets = torch.cat([labels, torch.zeros(3, 81)])
    mine = ours.loss(logits, targets)
    assert float(mine["loss"]) == pytest.approx(float(out["loss_action_cls"]), abs=1e-6)
    assert float(mine["recall@thr=0.5"]) == pytest.approx(float(out["recall@thr=0.5"]), abs=1e-6)
    assert float(mine["prec@thr=0.5"]) == pytest.approx(float(out["prec@thr=0.5"]), abs=1e-6)
