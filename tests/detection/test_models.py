"""Detector pieces against independent truths: RoIAlign against a bilinear-sampling
implementation written here from the operator's definition, the bbox head and its loss against
hand-computed values, the training RoI sampler on hand-made boxes, the feature bank's window
layout; presets (classifier keys, parameter counts equal to MMAction2's, family imports); a tiny
detector trains a step and scores a clip the same alone as in a batch."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torchvision import tv_tensors

from vidcore.detection import presets as preset_modules
from vidcore.detection.batch import DetectionBatch
from vidcore.detection.models.lfb import FBOAvg, FBOHead, FBOMax, FeatureBank
from vidcore.detection.models.roi_head import (
    BBoxHeadAVA,
    RoIExtractor3D,
    boxes_to_rois,
    multilabel_focal_loss,
    sample_rois,
)
from vidcore.detection.models.slowonly import slowonly_detector
from vidcore.detection.registry import get_model, get_preset, list_presets

PRESETS = [p.name for p in list_presets()]

#: Parameters of MMAction2 1.2.0's modules built from each stock config (backbone from its
#: registry, ACRNHead / FBOHead / BBoxHeadAVA classes; measured in tests/parity, where the
#: equality with ours is asserted on the real modules).
MMACTION2_PARAMS = {
    "slowonly_r50_4x16x1_ava21": 31800465,
    "slowonly_r50_k700_4x16x1_ava21": 31800465,
    "slowonly_r50_nl_4x16x1_ava21": 39154833,
    "slowonly_r50_nl_8x8x1_ava21": 39154833,
    "slowonly_r101_8x8x1_ava21": 59705489,
    "slowfast_r50_4x16x1_ava21": 33743993,
    "slowfast_r50_context_4x16x1_ava21": 33930617,
    "slowfast_r50_8x8x1_ava21": 33830265,
    "slowfast_r50_8x8x1_ava22": 33830265,
    "slowfast_r50_temporal_max_8x8x1_ava22": 33830265,
    "slowfast_r50_temporal_max_focal_8x8x1_ava22": 33830265,
    "slowfast_acrn_r50_8x8x1_ava21": 92232057,
    "slowfast_acrn_r50_8x8x1_ava22": 92232057,
    "slowonly_lfb_nl_r50_4x16x1_ava21": 36043409,
    "slowonly_lfb_max_r50_4x16x1_ava21": 31966353,
    "videomae_vit_base_p16_16x4x1_ava_kinetics": 86289489,  # backbone 86,227,200 + head 62,289
    "videomae_vit_large_p16_16x4x1_ava_kinetics": 303943761,  # backbone 303,860,736 + head 83,025
}


# -- RoIAlign ------------------------------------------------------------------------------------


def _bilinear(img: list[list[float]], y: float, x: float) -> float:
    """The value at (y, x) of a (H, W) grid with the RoIAlign border rule: 0 beyond one cell
    outside, coordinates clamped at the last row/column."""
    h, w = len(img), len(img[0])
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= h - 1:
        y0 = y1 = h - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= w - 1:
        x0 = x1 = w - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[y0][x0] + (1 - ly) * lx * img[y0][x1]
            + ly * (1 - lx) * img[y1][x0] + ly * lx * img[y1][x1])  # fmt: skip


def _roi_align_reference(feat: torch.Tensor, roi: list[float], size: int, scale: float) -> torch.Tensor:
    """Aligned RoIAlign of one RoI by its definition: the box scaled and shifted by half a
    cell, cut into size x size bins, each the mean of ceil(bin extent) x ceil(bin extent)
    bilinear samples at the centres of a regular sub-grid."""
    b, x1, y1, x2, y2 = roi
    x1, y1, x2, y2 = x1 * scale - 0.5, y1 * scale - 0.5, x2 * scale - 0.5, y2 * scale - 0.5
    bin_h, bin_w = (y2 - y1) / size, (x2 - x1) / size
    gh, gw = math.ceil((y2 - y1) / size), math.ceil((x2 - x1) / size)
    out = torch.zeros(feat.shape[1], size, size, dtype=torch.float64)
    for c in range(feat.shape[1]):
        img = feat[int(b), c].double().tolist()
        for ph in range(size):
            for pw in range(size):
                acc = 0.0
                for iy in range(gh):
                    for ix in range(gw):
                        y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh
                        x = x1 + pw * bin_w + (ix + 0.5) * bin_w / gw
                        acc += _bilinear(img, y, x)
                out[c, ph, pw] = acc / max(gh * gw, 1)
    return out


def test_roi_align_against_bilinear_definition() -> None:
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 3, 1, 6, 7, generator=g)  # (N, C, T, H, W), stride 16 -> 96 x 112 pixels
    rois = torch.tensor([
        [0, 10.0, 12.0, 90.0, 80.0],
        [1, -20.0, -8.0, 40.5, 33.3],  # partly outside the map
        [1, 100.0, 70.0, 130.0, 120.0],  # reaching past the right and bottom borders
        [0, 31.0, 17.0, 33.0, 19.5],  # smaller than a cell
    ])  # fmt: skip
    out, _ = RoIExtractor3D(output_size=4, featmap_stride=16)(feat, rois)  # (R, C, 1, 4, 4)
    for i, roi in enumerate(rois.tolist()):
        ref = _roi_align_reference(feat[:, :, 0], roi, 4, 1 / 16)
        torch.testing.assert_close(out[i, :, 0].double(), ref, atol=1e-5, rtol=0)


def test_extractor_temporal_pooling_context_and_pathways() -> None:
    g = torch.Generator().manual_seed(1)
    slow = torch.randn(1, 2, 2, 4, 4, generator=g)
    fast = torch.randn(1, 3, 4, 4, 4, generator=g)
    rois = torch.tensor([[0, 0.0, 0.0, 64.0, 64.0]])
    avg, feat = RoIExtractor3D(2, 16)((slow, fast), rois)
    # the slow features are repeated to 4 frames (nearest): their time mean is unchanged
    torch.testing.assert_close(feat[:, :2, 0], slow.mean(2))
    torch.testing.assert_close(feat[:, 2:, 0], fast.mean(2))
    _, feat_max = RoIExtractor3D(2, 16, temporal_pool_mode="max")((slow, fast), rois)
    torch.testing.assert_close(feat_max[:, :2, 0], slow.amax(2))
    torch.testing.assert_close(feat_max[:, 2:, 0], fast.amax(2))
    kept, feat_all = RoIExtractor3D(2, 16, temporal_pool_mode=None)((slow, fast), rois)
    assert kept.shape == (1, 5, 4, 2, 2) and feat_all.shape == (1, 5, 4, 4, 4)
    ctx, _ = RoIExtractor3D(2, 16, with_global=True)((slow, fast), rois)
    assert ctx.shape == (1, 10, 1, 2, 2)
    # the whole-frame box with 2x2 bins of 2x2 cells: each bin is the mean of its 4 cells = the
    # adaptive average pool that the context half holds
    torch.testing.assert_close(ctx[:, :5], ctx[:, 5:], atol=1e-6, rtol=0)
    assert avg.shape == (1, 5, 1, 2, 2)


# -- bbox head ----------------------------------------------------------------------------------


def test_bbox_head_pools_and_classifies_by_hand() -> None:
    head = BBoxHeadAVA(2, 3, dropout_ratio=0.0)
    with torch.no_grad():
        head.fc_cls.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]))
        head.fc_cls.bias.copy_(torch.tensor([0.0, 0.5, 0.0]))
    x = torch.zeros(1, 2, 2, 2, 2)  # (R, C, T, H, W)
    x[0, 0, 0] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    x[0, 0, 1] = torch.tensor([[5.0, 0.0], [1.0, 0.0]])  # time mean: [[3, 1], [2, 2]] -> max 3
    x[0, 1, 0] = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]])  # time mean: half of it -> max -0.5
    logits = head(x)
    torch.testing.assert_close(logits, torch.tensor([[3.0, 0.0, 3.5]]))


def test_focal_loss_by_hand() -> None:
    logits = torch.tensor([[0.0, 2.0]])
    targets = torch.tensor([[1.0, 0.0]])
    bce = [math.log(2.0), math.log(1 + math.exp(2.0))]
    assert float(multilabel_focal_loss(logits, targets)) == pytest.approx(sum(bce) / 2, abs=1e-6)
    # alpha 3, gamma 1: 3 * (1 - p_t) * bce with p_t = exp(-bce)
    focal = [3 * (1 - math.exp(-b)) * b for b in bce]
    assert float(multilabel_focal_loss(logits, targets, 3.0, 1.0)) == pytest.approx(sum(focal) / 2, abs=1e-6)


def test_head_loss_ignores_background_column_and_negatives() -> None:
    head = BBoxHeadAVA(2, 3, dropout_ratio=0.0)
    logits = torch.tensor([[9.0, 0.0, 2.0], [5.0, -1.0, 1.0], [0.0, 3.0, 3.0]])
    targets = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # row 2, 3: no action
    out = head.loss(logits, targets)
    expected = multilabel_focal_loss(torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]]))
    torch.testing.assert_close(out["loss"], expected)
    # sigmoid(0) = 0.5 is not > 0.5 and sigmoid(2) is: recall 0/1, precision 0/1
    assert float(out["recall@thr=0.5"]) == 0.0 and float(out["prec@thr=0.5"]) == 0.0


# -- RoI sampling -------------------------------------------------------------------------------


def test_sample_rois_by_hand() -> None:
    gt = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    labels = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    proposals = torch.tensor([
        [0.0, 0.0, 10.0, 9.5],  # IoU 0.95 with box 0: positive
        [0.0, 0.0, 10.0, 8.0],  # IoU 0.8: negative
        [20.0, 20.0, 30.0, 30.0],  # identical to box 1: positive
        [50.0, 50.0, 60.0, 60.0],  # nothing: negative
    ])  # fmt: skip
    boxes, targets = sample_rois(proposals, gt, labels, num=32)
    # ground truth first (each its own target), then the positives, then the negatives
    torch.testing.assert_close(boxes, torch.cat([gt, proposals[[0, 2]], proposals[[1, 3]]]))
    torch.testing.assert_close(targets, torch.cat([labels, labels[[0, 1]], torch.zeros(2, 3)]))
    few, few_targets = sample_rois(proposals, gt, labels, num=3, generator=torch.Generator().manual_seed(0))
    assert few.shape == (3, 4) and bool((few_targets.sum(1) == 1).all())  # 3 of the 4 positives, no negative
    none, none_targets = sample_rois(proposals, gt[:0], labels[:0], num=2)
    assert none.shape == (2, 4) and float(none_targets.sum()) == 0.0


def test_boxes_to_rois() -> None:
    rois = boxes_to_rois([torch.ones(2, 4), torch.zeros(0, 4), 2 * torch.ones(1, 4)])
    assert rois[:, 0].tolist() == [0.0, 0.0, 2.0] and rois[2, 1:].tolist() == [2.0] * 4


# -- feature bank --------------------------------------------------------------------------------


def test_feature_bank_window_layout_and_files(tmp_path: Path) -> None:
    feats = {"v": {902: torch.ones(2, 3), 903: 2 * torch.ones(7, 3)}}
    bank = FeatureBank(feats, window_size=4, max_num_sampled_feat=3, channels=3)
    out = bank.sample("v,0903", torch.Generator().manual_seed(0))  # seconds 901..904
    assert out.shape == (12, 3)
    rows = out.sum(1).tolist()
    assert rows == [0, 0, 0, 3, 3, 0, 6, 6, 6, 0, 0, 0]  # 901 empty, 902: 2 people, 903: 3 of 7
    bank.save(tmp_path / "lfb_val.pkl")
    again = FeatureBank.load(tmp_path / "lfb_val.pkl", window_size=4, max_num_sampled_feat=3, channels=3)
    torch.testing.assert_close(again.features["v"][903], feats["v"][903])
    st = torch.zeros(1, 3, 1, 1, 1)
    lt = out.T[None, :, :, None, None]  # (1, C, L, 1, 1)
    assert FBOMax()(st, lt).flatten().tolist() == [2.0] * 3
    assert FBOAvg()(st, lt).flatten().tolist() == pytest.approx([(2 * 1 + 3 * 2) / 12] * 3)
    head = FBOHead(FBOMax(), bank)
    with pytest.raises(ValueError, match="one img_key per RoI"):
        head(torch.zeros(2, 3, 1, 2, 2), torch.zeros(1, 3, 1, 2, 2), torch.zeros(2, 5), ["v,0903"])


# -- presets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_declared_classifier_and_parameter_count(name: str) -> None:
    """``classifier`` names exactly the tensors whose shape follows the class count (two builds on
    the meta device), and the default build has MMAction2's parameter count."""
    preset = get_preset(name)
    with torch.device("meta"):
        a = get_model(name, num_classes=7)
        full = get_model(name)
    sa, sb = a.state_dict(), full.state_dict()
    varying = {k for k in sa if sa[k].shape != sb[k].shape}
    assert varying and set(preset.classifier_keys(sa)) == varying
    assert preset.num_classes_in(sa) == 7 and preset.num_classes_in(sb) == preset.num_classes
    if preset.dataset.startswith("ava"):
        assert preset.num_classes == 81  # ids 1..80, column 0 unused
    if name in MMACTION2_PARAMS:
        assert sum(p.numel() for p in full.parameters()) == MMACTION2_PARAMS[name]
        assert preset.mmaction_config is not None


def test_every_registering_family_is_imported_by_the_presets_module() -> None:
    import importlib
    import pkgutil

    import vidcore.detection.models as models

    listed = {m.__name__ for m in preset_modules.FAMILIES}
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        if "@register_preset" in Path(module.__file__).read_text():
            assert module.__name__ in listed, f"{module.__name__} registers presets but presets.py does not import it"


# -- a tiny detector end to end ---------------------------------------------------------------------


def _tiny_batch(n: int = 2, seed: int = 0) -> DetectionBatch:
    g = torch.Generator().manual_seed(seed)
    video = torch.randint(0, 256, (n, 4, 3, 64, 64), generator=g, dtype=torch.uint8)
    gt = [tv_tensors.BoundingBoxes(torch.tensor([[4.0, 4.0, 40.0, 60.0], [30.0, 8.0, 62.0, 50.0]]),
                                   format="XYXY", canvas_size=(64, 64)) for _ in range(n)]  # fmt: skip
    labels = [torch.tensor([[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]]) for _ in range(n)]
    props = [tv_tensors.BoundingBoxes(torch.tensor([[5.0, 4.0, 40.0, 61.0], [0.0, 0.0, 20.0, 20.0]]),
                                      format="XYXY", canvas_size=(64, 64)) for _ in range(n)]  # fmt: skip
    return DetectionBatch(video=video, proposals=props, gt_boxes=gt, gt_labels=labels,
                          img_keys=[f"v{i},0902" for i in range(n)])  # fmt: skip


def test_tiny_detector_trains_and_batches_consistently() -> None:
    torch.manual_seed(0)
    model = slowonly_detector(18, 4, base_channels=8)
    batch = _tiny_batch()
    out = model.train().forward_train(batch, generator=torch.Generator().manual_seed(0))
    assert torch.isfinite(out["loss"]) and float(out["loss"].detach()) > 0
    out["loss"].backward()
    first = model.backbone.conv1.conv.weight.grad
    assert first is not None and float(first.abs().sum()) > 0
    assert float(model.roi_head.bbox_head.fc_cls.weight.grad.abs().sum()) > 0
    model.eval()
    both = model.predict(batch.video, batch.proposals, batch.img_keys)
    alone = model.predict(batch.video[1:], batch.proposals[1:], batch.img_keys[1:])
    out = model.forward_eval(batch)
    assert out["img_keys"] == batch.img_keys and len(out["scores"]) == 2
    assert [d.img_key for d in both] == ["v0,0902", "v1,0902"]
    assert both[0].boxes.shape == (2, 4) and both[0].scores.shape == (2, 4)
    torch.testing.assert_close(both[1].scores, alone[0].scores, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(both[0].boxes, batch.proposals[0].as_subclass(torch.Tensor) / 64)
    assert bool(((both[0].scores > 0) & (both[0].scores < 1)).all())
    model.reset_classifier(6)
    assert model.predict(batch.video[:1], batch.proposals[:1])[0].scores.shape == (2, 6)
    # stride 8: the third stage unstrided as well, RoIAlign at 1/8
    fine = slowonly_detector(18, 4, base_channels=8, featmap_stride=8).eval()
    with torch.no_grad():
        assert fine.forward_features(fine.preprocess(batch.video[:1])).shape[-2:] == (8, 8)
    assert fine.roi_head.bbox_roi_extractor.spatial_scale == 1 / 8


# -- VideoMAE ViT --------------------------------------------------------------------------------


def test_vit_feature_map_lays_tokens_on_their_grid() -> None:
    """The map at (t, y, x) is the token ``t * h * w + y * w + x`` after the final norm (tokens are
    ordered tubelet, row, column), for frames other than the position table's size."""
    from vidcore.detection.models.vit import VideoViTFeatureMap

    torch.manual_seed(0)
    vit = VideoViTFeatureMap(img_size=32, patch_size=16, num_frames=4, embed_dim=24, depth=1, num_heads=2).eval()
    x = torch.randn(2, 3, 4, 48, 64)
    with torch.no_grad():
        fmap = vit(x)
        tokens = vit.forward_tokens(x)
    assert fmap.shape == (2, 24, 2, 3, 4)
    for t, yy, xx in ((0, 0, 0), (1, 2, 3), (0, 1, 2), (1, 0, 3)):
        assert torch.equal(fmap[:, :, t, yy, xx], tokens[:, t * 12 + yy * 4 + xx])
    # MMAction2's detection backbone: the final LayerNorm on every token, no mean pooling.
    assert isinstance(vit.norm, torch.nn.LayerNorm) and vit.fc_norm is None


def test_vit_detector_converter_maps_mmaction_keys() -> None:
    from vidcore.detection.models.vit import convert_mmaction_vit_detector

    t = torch.zeros(1)
    sd = {"backbone.patch_embed.projection.weight": t, "backbone.blocks.3.mlp.layers.0.0.bias": t,
          "backbone.blocks.3.mlp.layers.1.weight": t, "backbone.blocks.3.attn.q_bias": t, "backbone.norm.weight": t,
          "roi_head.bbox_head.fc_cls.weight": t, "data_preprocessor.mean": t}  # fmt: skip
    assert sorted(convert_mmaction_vit_detector(sd)) == [
        "backbone.blocks.3.attn.q_bias", "backbone.blocks.3.mlp.fc1.bias", "backbone.blocks.3.mlp.fc2.weight",
        "backbone.norm.weight", "backbone.patch_embed.weight", "roi_head.bbox_head.fc_cls.weight",
    ]  # fmt: skip
    # The converted keys of a (meta) ViT-B detector's own MMAction2-named dict are its keys again.
    with torch.device("meta"):
        model = get_model("videomae_vit_base_p16_16x4x1_ava_kinetics")
    ours = model.state_dict()
    theirs = {k.replace("backbone.patch_embed.", "backbone.patch_embed.projection.")
              .replace(".mlp.fc1.", ".mlp.layers.0.0.").replace(".mlp.fc2.", ".mlp.layers.1."): v
              for k, v in ours.items()}  # fmt: skip
    assert sorted(convert_mmaction_vit_detector(theirs)) == sorted(ours)


def test_tiny_vit_detector_predicts_per_box() -> None:
    from vidcore.detection.detector import AVADetector
    from vidcore.detection.models.roi_head import AVARoIHead
    from vidcore.detection.models.vit import VideoViTFeatureMap

    torch.manual_seed(0)
    vit = VideoViTFeatureMap(img_size=32, patch_size=16, num_frames=4, embed_dim=24, depth=1, num_heads=2)
    model = AVADetector(vit, AVARoIHead(RoIExtractor3D(8, 16), BBoxHeadAVA(24, 5, dropout_ratio=0.0))).eval()
    video = torch.randint(0, 256, (2, 4, 3, 48, 64), dtype=torch.uint8)
    boxes = [torch.tensor([[0.0, 0.0, 32.0, 48.0], [30.0, 10.0, 64.0, 40.0]]), torch.tensor([[5.0, 5.0, 20.0, 30.0]])]
    dets = model.predict(video, boxes)
    assert [d.scores.shape for d in dets] == [(2, 5), (1, 5)]
    # Each clip's boxes are classified from that clip alone.
    alone = model.predict(video[1:], boxes[1:])
    assert torch.allclose(alone[0].scores, dets[1].scores, atol=1e-6)


def test_head_loss_with_background_rois_by_hand() -> None:
    """``keep`` puts background RoIs (all-zero targets) into the loss; RoIs left out do not count;
    the logged rates stay on the labelled RoIs."""
    head = BBoxHeadAVA(4, 3, dropout_ratio=0.0)
    logits = torch.tensor([[9.0, 1.0, -1.0], [9.0, 2.0, 0.5], [9.0, -3.0, 3.0]])
    targets = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])

    def bce(z: float, y: float) -> float:
        p = 1 / (1 + math.exp(-z))
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    out = head.loss(logits, targets, keep=torch.tensor([True, True, False]))
    expected = (bce(1.0, 1) + bce(-1.0, 0) + bce(2.0, 0) + bce(0.5, 0)) / 4
    assert float(out["loss"]) == pytest.approx(expected, rel=1e-6)
    assert float(out["recall@thr=0.5"]) == pytest.approx(1.0)
    assert float(head.loss(logits, targets)["loss"]) == pytest.approx((bce(1.0, 1) + bce(-1.0, 0)) / 2, rel=1e-6)
    # Only background kept: a loss with no labelled RoI (the rates are 0).
    only_bg = head.loss(logits, targets, keep=torch.tensor([False, True, True]))
    assert float(only_bg["loss"]) == pytest.approx((bce(2.0, 0) + bce(0.5, 0) + bce(-3.0, 0) + bce(3.0, 0)) / 4, rel=1e-6)

