"""RGBPoseConv3D on the trainer's interface (one model for the module; the trainer test runs last): ``forward_train`` is the weighted sum of the two
pathways' cross-entropies (recomputed here from the raw logits), both heads and both pathways get
gradients, and ``forward_eval`` is the weighted mean of the clip-averaged RGB and pose scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

from vidcore.core.trainer.trainer import Trainer
from vidcore.skeleton.models.rgbposeconv3d import RGBPoseConv3D, RGBPoseHead, RGBPoseRecognizer
from vidcore.skeleton.recognizer import SkeletonBatch


def _inputs(n: int, views: int | None, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiny inputs the pathways accept: RGB 2 frames of 32x32, pose 4x as many frames at a quarter
    of the size (the config's 8 x 224^2 and 32 x 56^2 scaled down)."""
    gen = torch.Generator().manual_seed(seed)
    lead = (n,) if views is None else (n, views)
    rgb = torch.randint(0, 256, (*lead, 3, 2, 32, 32), generator=gen, dtype=torch.uint8)
    heatmap = torch.rand((*lead, 17, 8, 8, 8), generator=gen)
    return rgb, heatmap


@pytest.fixture(scope="module")
def model() -> RGBPoseRecognizer:
    torch.manual_seed(0)
    return RGBPoseRecognizer(RGBPoseConv3D(), RGBPoseHead(5), loss_weights=(2.0, 0.5), fusion_weights=(1.0, 3.0))


def test_forward_train_is_the_weighted_sum_of_both_cross_entropies(model: RGBPoseRecognizer) -> None:
    rgb, heatmap = _inputs(2, None, 1)
    labels = torch.tensor([1, 4])
    model.eval()  # dropout off, so the logits below are the ones forward_train saw
    out = model.forward_train(SkeletonBatch(rgb=rgb, heatmap=heatmap, label=labels))
    x = (rgb.float() - torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1, 1)) / torch.tensor(
        [58.395, 57.12, 57.375]
    ).view(3, 1, 1, 1)
    logits = model(x, heatmap)
    ce_rgb, ce_pose = F.cross_entropy(logits["rgb"], labels), F.cross_entropy(logits["pose"], labels)
    torch.testing.assert_close(out["loss"], 2.0 * ce_rgb + 0.5 * ce_pose, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out["loss_rgb"], ce_rgb.detach(), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out["loss_pose"], ce_pose.detach(), atol=1e-5, rtol=1e-5)
    expected_top1 = (logits["pose"].argmax(1) == labels).float().mean()
    assert float(out["top1_pose"]) == float(expected_top1)

    model.train()
    model.zero_grad()
    model.forward_train(SkeletonBatch(rgb=rgb, heatmap=heatmap, label=labels))["loss"].backward()
    for name in ("head.fc_rgb.weight", "head.fc_pose.weight", "backbone.rgb_path.conv1.conv.weight",
                 "backbone.pose_path.conv1.conv.weight"):  # fmt: skip
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name
    model.zero_grad()


def test_forward_eval_fuses_the_clip_averaged_scores(model: RGBPoseRecognizer) -> None:
    model.eval()
    rgb, heatmap = _inputs(2, 2, 2)  # (N=2, clips=2, ...)
    out = model.forward_eval(SkeletonBatch(rgb=rgb, heatmap=heatmap, label=torch.tensor([0, 3])))
    assert out["labels"].tolist() == [0, 3]
    per_clip = [model.predict(rgb[:, c], heatmap[:, c]) for c in range(2)]  # one clip at a time
    fused = [(1.0 * s["rgb"] + 3.0 * s["pose"]) / 4.0 for s in per_clip]  # probabilities of each clip
    torch.testing.assert_close(out["scores"], (fused[0] + fused[1]) / 2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out["scores"].sum(1), torch.ones(2), atol=1e-5, rtol=1e-5)


def test_missing_or_mismatched_inputs_are_refused(model: RGBPoseRecognizer) -> None:
    rgb, heatmap = _inputs(2, None, 3)
    with pytest.raises(ValueError, match="no 'heatmap' field"):
        model.forward_train(SkeletonBatch(rgb=rgb, label=torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="must agree in N"):
        model.forward_eval(SkeletonBatch(rgb=rgb, heatmap=heatmap[:1]))


def test_the_shared_trainer_runs_it(model: RGBPoseRecognizer, tmp_path: Path) -> None:
    """One epoch of two batches and a validation pass through vidcore-core's Trainer."""
    from vidcore.core.metrics import AccuracyMetric
    from vidcore.core.trainer import OptimConfig, TrainerConfig

    rgb, heatmap = _inputs(4, None, 4)
    items = [(rgb[i], heatmap[i], i % 5) for i in range(4)]

    def collate(rows: list) -> SkeletonBatch:
        return SkeletonBatch(rgb=torch.stack([r[0] for r in rows]), heatmap=torch.stack([r[1] for r in rows]),
                             label=torch.tensor([r[2] for r in rows]))  # fmt: skip

    cfg = TrainerConfig(max_epochs=1, batch_size=2, num_workers=0, device="cpu", optim=OptimConfig(lr=1e-3),
                        progress_bar=False)  # fmt: skip
    trainer = Trainer(model, items, items, cfg=cfg, collate_fn=collate, evaluator=AccuracyMetric((1,)),
                      work_dir=tmp_path, write_files=False)  # fmt: skip
    metrics = trainer.fit()
    assert trainer.global_iter == 2
    assert 0.0 <= metrics["top1"] <= 1.0
