"""VideoMAE masked pre-training: tube masking, normalized-pixel targets, the loss on masked tokens
only, a loss that goes down on a fixed batch, and the experiment mode (train through the shared
trainer, then a fine-tuning model that loads every encoder tensor of the checkpoint)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from vidcore.core.config import ConfigError
from vidcore.core.trainer import OptimConfig, ScheduleConfig, TrainerConfig
from vidcore.recognition import experiment as E
from vidcore.recognition.models.videomae import VideoViT
from vidcore.recognition.pretrain import (
    MaskedPretrainConfig,
    VideoMAEPretrainer,
    patch_targets,
    strip_pretraining_keys,
    tube_mask,
)

PRESET = "videomae_vit_tiny_p8_8x2x1_synth"


def test_tube_mask_masks_the_same_positions_in_every_slice() -> None:
    g = torch.Generator().manual_seed(0)
    mask = tube_mask(3, 4, (5, 6), 0.9, generator=g)
    assert mask.shape == (3, 4 * 30) and mask.dtype == torch.bool
    per_slice = mask.reshape(3, 4, 30)
    assert (per_slice.sum(dim=2) == 27).all()  # int(0.9 * 30) per slice
    assert (per_slice == per_slice[:, :1]).all()  # tubes: identical in every temporal slice
    assert not torch.equal(per_slice[0, 0], per_slice[1, 0])  # drawn per sample
    again = tube_mask(3, 4, (5, 6), 0.9, generator=torch.Generator().manual_seed(0))
    assert torch.equal(mask, again)
    with pytest.raises(ValueError, match="mask ratio"):
        tube_mask(1, 1, (2, 2), 0.1)


def test_patch_targets_order_and_normalization() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 8, 12)  # (N, C, T, H, W), tubelet 2, patch 4 -> 2 x 2 x 3 = 12 tokens
    raw = patch_targets(x, 2, 4, normalize=False)
    assert raw.shape == (2, 12, 2 * 4 * 4 * 3)
    # token (t'=1, row=1, col=2) of sample 1 is index 1*6 + 1*3 + 2 = 11; pixels laid out (dt, dy, dx, c)
    block = x[1, :, 2:4, 4:8, 8:12].permute(1, 2, 3, 0).reshape(-1)
    torch.testing.assert_close(raw[1, 11], block)
    norm = patch_targets(x, 2, 4).reshape(2, 12, 32, 3)
    torch.testing.assert_close(norm.mean(dim=2), torch.zeros(2, 12, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(norm.std(dim=2), torch.ones(2, 12, 3), atol=1e-4, rtol=0)
    # predicting every token's mean (zero) costs (n - 1) / n with n = 32 pixels: the plateau a model
    # sits on when the standardised content of masked tokens cannot be predicted
    torch.testing.assert_close(norm.pow(2).mean(), torch.tensor(31 / 32), atol=1e-5, rtol=0)
    # a per-channel affine map with positive scale (pixel units vs normalized input) changes nothing
    scale = torch.tensor([58.0, 57.0, 57.5]).view(1, 3, 1, 1, 1)
    shift = torch.tensor([123.0, 116.0, 103.0]).view(1, 3, 1, 1, 1)
    torch.testing.assert_close(patch_targets(x * scale + shift, 2, 4), patch_targets(x, 2, 4), atol=1e-4, rtol=0)


def _tiny(seed: int = 0, **kw) -> VideoMAEPretrainer:
    torch.manual_seed(seed)
    encoder = VideoViT(img_size=32, patch_size=8, num_frames=4, embed_dim=32, depth=2, num_heads=2)
    return VideoMAEPretrainer(encoder, decoder_dim=16, decoder_depth=1, decoder_heads=2, mask_ratio=0.75, **kw)


def test_loss_is_the_mse_on_masked_tokens_and_trains_every_part() -> None:
    model = _tiny()
    video = torch.randint(0, 256, (2, 4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    x = model.preprocess(video)
    mask = tube_mask(2, 2, (4, 4), 0.75, generator=torch.Generator().manual_seed(2))
    pred = model(x, mask)
    assert pred.shape == (2, 2 * 12, 2 * 8 * 8 * 3)  # 12 of 16 positions in 2 slices
    target = patch_targets(x, 2, 8)[mask].reshape(pred.shape)
    loss = model.loss(x, mask)
    torch.testing.assert_close(loss, ((pred - target) ** 2).mean())
    # the visible tokens' pixels do not enter the loss: changing them only moves it through the encoder
    loss.backward()
    for name in ("backbone.patch_embed.weight", "backbone.blocks.0.attn.qkv.weight", "decoder.mask_token",
                 "decoder.proj.weight", "decoder.head.weight"):  # fmt: skip
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    assert model.backbone.fc_norm.weight.grad is None  # the fine-tuning norm takes no part
    # the decoder's position table reaches the masked tokens: without it they would all be equal
    with torch.no_grad():
        model.decoder.pos_embed.zero_()
        flat = model(x, mask)
    assert torch.allclose(flat[:, :1].expand_as(flat), flat, atol=1e-5) and not torch.allclose(
        pred[:, :1].expand_as(pred), pred, atol=1e-5
    )


@pytest.mark.parametrize("norm_pix_loss", [True, False])
def test_a_few_steps_reduce_the_loss_on_a_fixed_batch(norm_pix_loss: bool) -> None:
    model = _tiny(norm_pix_loss=norm_pix_loss)
    # one fixed clip for every sample: each token's pixels are a function of its position, which the
    # decoder can learn from the mask token and the position table (random clips would not be)
    clip = torch.randint(0, 256, (1, 4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    video = clip.expand(4, -1, -1, -1, -1).contiguous()
    x = model.preprocess(video)
    mask = tube_mask(4, 2, (4, 4), 0.75, generator=torch.Generator().manual_seed(4))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = model.loss(x, mask)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.85 * losses[0]  # measured: 1.00 -> 0.75 (normalized), 1.14 -> 0.83 (raw)
    out = model.forward_train({"video": video, "label": torch.zeros(4, dtype=torch.long)})
    assert set(out) == {"loss", "loss_rec"} and torch.isfinite(out["loss"])


def test_eval_masks_are_a_function_of_the_sample_index() -> None:
    model = _tiny().eval()
    video = torch.randint(0, 256, (3, 4, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(5))
    a = model.forward_eval({"video": video, "index": torch.tensor([7, 8, 9])})["loss_rec"]
    b = model.forward_eval({"video": video[[1]], "index": torch.tensor([8])})["loss_rec"]
    assert a.shape == (3,)
    torch.testing.assert_close(a[1:2], b)  # the same clip and index: the same mask, alone or in a batch
    c = model.forward_eval({"video": video[[1]], "index": torch.tensor([9])})["loss_rec"]
    assert not torch.allclose(b, c)


def test_strip_pretraining_keys_keeps_the_backbone_only() -> None:
    sd = _tiny().state_dict()
    kept, dropped = strip_pretraining_keys(sd)
    assert dropped == sum(k.startswith("decoder.") for k in sd) > 0
    assert set(kept) == {k for k in sd if k.startswith("backbone.")}
    other = {"backbone.x": torch.zeros(1), "head.fc_cls.weight": torch.zeros(1)}
    assert strip_pretraining_keys(other) == (other, 0)


# ----------------------------------------------------------------------------- the experiment mode


def _render(out: Path) -> Path:
    from vidcore.data.synth import SynthConfig, render_dataset

    return render_dataset(out, SynthConfig(videos_per_class=4, size=36, min_frames=16, max_frames=18), progress=False)


def _experiment(data: Path, work: Path, pretrain: MaskedPretrainConfig | None, **model_kw) -> E.Experiment:
    return E.Experiment(
        model=E.ModelConfig(PRESET, num_classes=8, **model_kw),
        pretrain=pretrain,
        data=E.DataConfig(
            root=str(data), train_list=str(data / "train.txt"), val_list=str(data / "val.txt"), test_batch_size=4
        ),
        trainer=TrainerConfig(
            max_epochs=1, batch_size=4, num_workers=0, progress_bar=False, seed=1,
            best_mode="min" if pretrain else "max",
            optim=OptimConfig(name="adamw", lr=1e-3, no_decay_keys=("pos_embed", "mask_token")),
            schedule=ScheduleConfig(name="constant"),
        ),
        work_dir=str(work),
    )


def test_pretraining_experiment_trains_and_fine_tuning_loads_every_encoder_tensor(tmp_path) -> None:
    data = _render(tmp_path / "data")
    cfg = MaskedPretrainConfig(decoder_dim=32, decoder_depth=1, decoder_heads=2)
    exp = _experiment(data, tmp_path / "pre", cfg)
    metrics = E.train(exp)
    assert set(metrics) >= {"loss_rec"} and 0 < metrics["loss_rec"] < 2
    ckpt = torch.load(tmp_path / "pre" / "epoch_0001.pth", weights_only=True)
    assert ckpt["meta"]["pretrain"] == "videomae"
    sd = ckpt["model"]
    backbone = {k: v for k, v in sd.items() if k.startswith("backbone.")}
    assert any(k.startswith("decoder.") for k in sd) and len(backbone) == len(VideoViT(
        img_size=32, patch_size=8, num_frames=8, embed_dim=128, depth=4, num_heads=2).state_dict())  # fmt: skip

    # the shared test path evaluates the reconstruction loss of a pre-training run
    result = E.test(exp, tmp_path / "pre" / "epoch_0001.pth", progress=False)
    assert result["loss_rec"] == pytest.approx(metrics["loss_rec"], rel=1e-5)

    fine = _experiment(data, tmp_path / "fine", None, pretrained=str(tmp_path / "pre" / "epoch_0001.pth"))
    model = E.TASK.build_model(fine, verbose=False)
    own = model.state_dict()
    for k, v in backbone.items():
        assert torch.equal(own[k], v), k  # every encoder tensor, fc_norm included (it was never trained)
    torch.manual_seed(0)
    fresh = E.TASK.build_model(dataclasses.replace(fine, model=dataclasses.replace(fine.model, pretrained=None)))
    trained = [k for k in backbone if k.startswith("backbone.blocks.") and not torch.equal(own[k], fresh.state_dict()[k])]
    assert trained  # the blocks came from the checkpoint, not from a fresh init

    with pytest.raises(ConfigError, match="best_mode=min"):
        bad = dataclasses.replace(exp, trainer=dataclasses.replace(exp.trainer, best_mode="max"))
        E.TASK.build_model(bad)


def test_pretraining_needs_a_vit_preset(tmp_path) -> None:
    exp = E.Experiment(model=E.ModelConfig("tsm_r18_1x1x8_kinetics400", num_classes=8),
                       pretrain=MaskedPretrainConfig(), trainer=TrainerConfig(best_mode="min"))  # fmt: skip
    with pytest.raises(ValueError, match="VideoMAE ViT preset"):
        E.TASK.build_model(exp, verbose=False)


def test_shipped_pretraining_configs_load() -> None:
    from vidcore.core.experiment import load_experiment

    pre = load_experiment(E.TASK, "videomae_pretrain_vit_tiny_p8_synth")
    assert pre.pretrain is not None and pre.pretrain.mask_ratio == 0.9 and pre.trainer.best_mode == "min"
    fine = load_experiment(E.TASK, "videomae_vit_tiny_p8_synth_finetune", ["model.pretrained=null"])
    assert fine.pretrain is None and fine.model.pretrained is None and fine.model.preset == pre.model.preset
