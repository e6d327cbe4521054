"""ViT-based recognizers: VideoMAE / VideoMAE V2, TimeSformer, UniFormerV2.

Parameter counts of every preset against MMAction2's (built on the meta device); tiny configs of
each family through forward, backward and batch-of-two = two batches of one; the pieces with a
hand-checkable answer (q/v-only bias, position-table resizing, the divided space-time token
layout); `infer` and `export` (TorchScript, ONNX) on a tiny VideoMAE. Numerical parity with
MMAction2 lives in tests/parity/test_recognition_transformer_parity.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

from vidcore.core.layers import MultiheadSelfAttention
from vidcore.recognition.cli import main
from vidcore.recognition.export import example_input, export_model
from vidcore.recognition.models import transformer_common
from vidcore.recognition.models.heads3d import I3DHead
from vidcore.recognition.models.timesformer import (
    DividedSpaceTimeBlock,
    TimeSformer,
    convert_mmaction_timesformer,
)
from vidcore.recognition.models.transformer_common import mlp_residual_inference
from vidcore.recognition.models.uniformerv2 import UniFormerV2, convert_mmaction_uniformerv2
from vidcore.recognition.models.videomae import VideoViT, convert_mmaction_videomae, interpolate_pos_embed
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import PRESETS, get_model, get_preset, list_presets, register_preset

# Parameters of MMAction2 1.2.0's stock configs, measured here by building each config with
# mmaction.registry.MODELS (sum of numel over parameters). They include the classifier, so they
# depend on each config's class count (339 for Moments in Time, 710 for Kinetics-710).
MMACTION2_PARAMS = {
    "videomae_vit_base_p16_16x4x1_kinetics400": 86_534_800,
    "videomae_vit_large_p16_16x4x1_kinetics400": 304_270_736,
    "videomaev2_vit_base_p16_16x4x1_kinetics400": 86_534_800,
    "videomaev2_vit_small_p16_16x4x1_kinetics400": 22_033_936,
    "timesformer_divst_8x32x1_kinetics400": 121_566_352,
    "timesformer_jointst_8x32x1_kinetics400": 86_112_400,
    "timesformer_spaceonly_8x32x1_kinetics400": 86_106_256,
    "uniformerv2_base_p16_res224_clip_k710_k400_pre_u8_mitv1": 114_505_299,
    "uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics400": 114_552_208,
    "uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics600": 114_706_008,
    "uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics700": 114_782_908,
    "uniformerv2_base_p16_res224_clip_pre_u8_kinetics710": 114_790_598,
    "uniformerv2_base_p16_res224_clip_u8_kinetics400": 114_552_208,
    "uniformerv2_base_p16_res224_clip_u8_kinetics700": 114_782_908,
    "uniformerv2_base_p16_res224_clip_u8_kinetics710": 114_790_598,
    "uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics400": 354_099_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics600": 354_304_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u16_kinetics700": 354_407_100,
    "uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics400": 354_099_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics600": 354_304_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u32_kinetics700": 354_407_100,
    "uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics400": 354_099_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics600": 354_304_600,
    "uniformerv2_large_p14_res224_clip_k710_pre_u8_kinetics700": 354_407_100,
    "uniformerv2_large_p14_res224_clip_pre_u8_kinetics710": 354_417_350,
    "uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics400": 354_427_280,
    "uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics600": 354_632_280,
    "uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics700": 354_734_780,
    "uniformerv2_large_p14_res336_clip_pre_u8_kinetics710": 354_745_030,
    "uniformerv2_large_p16_res224_clip_k710_k400_pre_u8_mitv1": 354_037_075,
    "uniformerv2_large_p16_res336_clip_k710_k400_pre_u8_mitv1": 354_364_755,
}


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_every_vit_preset_has_a_reference_count() -> None:
    # presets named after an MMAction2 config (the synthetic pre-training ones have none)
    ours = {
        p.name for p in list_presets()
        if p.name.startswith(("videomae", "timesformer_", "uniformerv2_")) and p.mmaction_config
    }
    assert ours == set(MMACTION2_PARAMS)


@pytest.mark.parametrize("name", sorted(MMACTION2_PARAMS))
def test_parameter_count_equals_mmaction2(name: str) -> None:
    with torch.device("meta"):
        model = get_model(name)
    assert n_params(model) == MMACTION2_PARAMS[name]


def test_issue_numbers() -> None:
    # the numbers the issue quotes (MMAction2's model zoo, rounded to 0.01M)
    assert round(MMACTION2_PARAMS["timesformer_divst_8x32x1_kinetics400"] / 1e6, 2) == 121.57
    assert round(MMACTION2_PARAMS["uniformerv2_base_p16_res224_clip_k710_pre_u8_kinetics400"] / 1e6, 2) == 114.55
    # VideoMAE ViT-B: the issue says 86.54M; MMAction2 1.2.0 builds 86,534,800 (86.53M)
    assert abs(MMACTION2_PARAMS["videomae_vit_base_p16_16x4x1_kinetics400"] / 1e6 - 86.54) < 0.01


def test_preset_metadata_follows_the_configs() -> None:
    mae = get_preset("videomae_vit_base_p16_16x4x1_kinetics400")
    assert (mae.clip_len, mae.frame_interval, mae.test_num_clips, mae.test_crops, mae.test_crop_size) == (
        16, 4, 5, 3, 224,
    )  # fmt: skip
    ts = get_preset("timesformer_divst_8x32x1_kinetics400")
    assert (ts.clip_len, ts.frame_interval, ts.test_views, ts.mean, ts.std) == (8, 32, 3, (127.5,) * 3, (127.5,) * 3)
    uf = get_preset("uniformerv2_large_p14_res336_clip_k710_pre_u32_kinetics400")
    assert (uf.clip_len, uf.crop_size, uf.test_crop_size, uf.test_num_clips, uf.mean) == (
        32, 336, 336, 2, (114.75,) * 3,
    )  # fmt: skip
    mit = get_preset("uniformerv2_base_p16_res224_clip_k710_k400_pre_u8_mitv1")
    assert (mit.num_classes, mit.dataset) == (339, "mit")


# -- tiny configs -----------------------------------------------------------------------------------


def _tiny(family: str) -> Recognizer:
    torch.manual_seed(0)
    if family == "videomae":
        backbone: nn.Module = VideoViT(img_size=32, patch_size=16, num_frames=4, embed_dim=32, depth=2, num_heads=2)
    elif family.startswith("timesformer"):
        kind = family.split(":")[1]
        backbone = TimeSformer(
            num_frames=4, img_size=32, patch_size=16, attention_type=kind, embed_dim=32, depth=2, num_heads=2  # type: ignore[arg-type]
        )
    else:
        backbone = UniFormerV2(
            input_resolution=48, patch_size=16, width=32, layers=2, heads=2, num_frames=4, return_list=(0, 1),
            n_head=2, mlp_dropout=(0.5, 0.5), lmhra=family.endswith("lmhra"),
        )  # fmt: skip
        for m in backbone.modules():  # the LMHRA output convs start at zero: make them matter
            if isinstance(m, nn.Conv3d) and m.out_channels == 32 and m.kernel_size == (1, 1, 1):
                nn.init.normal_(m.weight, std=0.1)
    head = I3DHead(5, 32, spatial_pool=False, dropout=0.0, init_std=0.02)
    return Recognizer(backbone, head)


FAMILIES = [
    "videomae",
    "timesformer:divided_space_time",
    "timesformer:joint_space_time",
    "timesformer:space_only",
    "uniformerv2",
    "uniformerv2:lmhra",
]


@pytest.mark.parametrize("family", FAMILIES)
def test_tiny_forward_backward_and_batching(family: str) -> None:
    model = _tiny(family)
    side = 48 if family.startswith("uniformerv2") else 32
    video = torch.randint(0, 256, (2, 4, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    model.train()
    out = model.forward_train({"video": video, "label": torch.tensor([1, 3])})
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is None or torch.isfinite(g).all() for g in grads.values())
    stem = next(p for n, p in model.backbone.named_parameters() if "patch_embed" in n or n == "conv1.weight")
    assert stem.grad is not None and stem.grad.abs().sum() > 0
    assert model.head.fc_cls.weight.grad is not None and model.head.fc_cls.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        x = model.preprocess(video)
        both = model(x)
        alone = torch.cat([model(x[:1]), model(x[1:])])
    assert both.shape == (2, 5) and torch.isfinite(both).all()
    torch.testing.assert_close(both, alone, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(both[0], both[1])


def test_qv_bias_attention_by_hand() -> None:
    """VideoMAE's attention: biases on q and v only, keys unbiased; explicit softmax(q kᵀ/√d) v."""
    torch.manual_seed(0)
    attn = MultiheadSelfAttention(8, 2, qkv_bias="qv")
    with torch.no_grad():
        attn.q_bias.normal_()  # type: ignore[union-attr]
        attn.v_bias.normal_()  # type: ignore[union-attr]
    assert n_params(attn) == 3 * 64 + 2 * 8 + 64 + 8  # qkv weight, q/v biases, proj
    x = torch.randn(2, 5, 8)
    w = attn.qkv.weight
    q = x @ w[:8].T + attn.q_bias
    k = x @ w[8:16].T
    v = x @ w[16:].T + attn.v_bias
    heads = [slice(0, 4), slice(4, 8)]
    out = torch.cat(
        [torch.softmax(q[..., h] @ k[..., h].transpose(1, 2) / 2.0, dim=-1) @ v[..., h] for h in heads], dim=-1
    )
    torch.testing.assert_close(attn(x), attn.proj(out))
    with pytest.raises(ValueError, match="qkv_bias"):
        MultiheadSelfAttention(8, 2, qkv_bias="k")  # type: ignore[arg-type]


def test_interpolate_pos_embed_keeps_same_size_and_resizes_each_time_slice() -> None:
    table = torch.randn(1, 2 * 3 * 3, 4)
    torch.testing.assert_close(interpolate_pos_embed(table, (3, 3), (3, 3)), table)
    constant = torch.arange(2.0).repeat_interleave(9).reshape(1, 18, 1).expand(1, 18, 4)
    out = interpolate_pos_embed(constant, (3, 3), (5, 4))  # a constant slice stays constant
    assert out.shape == (1, 2 * 5 * 4, 4)
    torch.testing.assert_close(out.reshape(2, 20, 4), torch.arange(2.0).reshape(2, 1, 1).expand(2, 20, 4))


def test_divided_attention_mixes_only_along_its_axis() -> None:
    """With the spatial attention and MLP switched off, a divided block changes a patch token
    only from tokens at the same position in other frames; with the temporal one off, only from
    the same frame (and the class token)."""
    from vidcore.recognition.models.timesformer import DividedSpaceTimeBlock

    torch.manual_seed(0)
    t, p, c = 3, 4, 8
    block = DividedSpaceTimeBlock(c, 2, t).eval()
    nn.init.normal_(block.temporal_fc.weight)
    x = torch.randn(1, 1 + p * t, c, requires_grad=True)

    def influence(out_index: int) -> set[int]:
        (g,) = torch.autograd.grad(y[0, out_index].sum(), x, retain_graph=True)
        return {i for i in range(1 + p * t) if g[0, i].abs().sum() > 0}

    for name in ("attn", "mlp"):  # temporal only
        for prm in getattr(block, name).parameters():
            nn.init.zeros_(prm)
    y = block(x)
    # token 1 + pos*T + frame: position 1, frame 2 -> index 6; it hears position 1 in every frame
    assert influence(1 + 1 * t + 2) == {1 + 1 * t + f for f in range(t)}

    block = DividedSpaceTimeBlock(c, 2, t).eval()  # temporal_fc starts at zero: spatial only
    for prm in block.mlp.parameters():
        nn.init.zeros_(prm)
    y = block(x)
    assert influence(1 + 1 * t + 2) == {0} | {1 + pos * t + 2 for pos in range(p)}


def test_converters_rename_mmaction_keys() -> None:
    z = torch.zeros(1)
    mae = convert_mmaction_videomae({
        "backbone.patch_embed.projection.weight": z, "backbone.blocks.3.mlp.layers.0.0.bias": z,
        "backbone.blocks.3.mlp.layers.1.weight": z, "backbone.blocks.3.attn.q_bias": z, "cls_head.fc_cls.weight": z,
    })  # fmt: skip
    assert set(mae) == {
        "backbone.patch_embed.weight", "backbone.blocks.3.mlp.fc1.bias", "backbone.blocks.3.mlp.fc2.weight",
        "backbone.blocks.3.attn.q_bias", "head.fc_cls.weight",
    }  # fmt: skip
    layer = "backbone.transformer_layers.layers.0."
    ts = convert_mmaction_timesformer({
        layer + "attentions.0.attn.in_proj_weight": z, layer + "attentions.0.temporal_fc.bias": z,
        layer + "attentions.1.attn.out_proj.weight": z, layer + "ffns.0.norm.weight": z,
    })  # fmt: skip
    assert set(ts) == {
        "backbone.blocks.0.temporal_attn.qkv.weight", "backbone.blocks.0.temporal_fc.bias",
        "backbone.blocks.0.attn.proj.weight", "backbone.blocks.0.norm2.weight",
    }  # fmt: skip
    uf = convert_mmaction_uniformerv2({
        "backbone.transformer.resblocks.2.lmhra1.pos_embed.2.weight": z, "backbone.transformer.dec.1.ln_3.bias": z,
        "backbone.transformer.dec.1.attn.in_proj_bias": z, "backbone.transformer.dpe.0.weight": z,
        "backbone.transformer.resblocks.2.mlp.c_proj.weight": z,
    })  # fmt: skip
    assert set(uf) == {
        "backbone.blocks.2.lmhra1.temporal.weight", "backbone.dec.1.norm_kv.bias", "backbone.dec.1.attn.qkv.bias",
        "backbone.dpe.0.weight", "backbone.blocks.2.mlp.fc2.weight",
    }  # fmt: skip


def test_fixed_size_models_name_the_expected_input() -> None:
    with pytest.raises(ValueError, match="8 frames of 32x32"):
        TimeSformer(num_frames=8, img_size=32, embed_dim=16, depth=1, num_heads=2)(torch.zeros(1, 3, 8, 48, 48))
    with pytest.raises(ValueError, match="takes clips of 4 frames"):
        VideoViT(img_size=32, num_frames=4, embed_dim=16, depth=1, num_heads=2)(torch.zeros(1, 3, 6, 32, 32))


# -- infer and export on a tiny VideoMAE ------------------------------------------------------------

TINY = "tiny_videomae_test_4x2x1_synth"


def tiny_videomae_test_4x2x1_synth(num_classes: int = 8) -> Recognizer:
    """A 2-block, 32-wide VideoMAE ViT for 4 frames of 32x32 (the ViT-B code path, tiny)."""
    backbone = VideoViT(img_size=32, patch_size=16, num_frames=4, embed_dim=32, depth=2, num_heads=2)
    return Recognizer(backbone, I3DHead(num_classes, 32, spatial_pool=False, dropout=0.0, init_std=0.02))


if TINY not in PRESETS:
    register_preset(
        replace(
            get_preset("videomae_vit_base_p16_16x4x1_kinetics400"), dataset="synth", num_classes=8, clip_len=4,
            frame_interval=2, short_side=32, crop_size=32, test_crop_size=32, test_num_clips=2, test_crops=1,
            mmaction_config=None,
        )
    )(tiny_videomae_test_4x2x1_synth)  # fmt: skip


@pytest.fixture(scope="module")
def tiny_model() -> Recognizer:
    torch.manual_seed(0)
    return get_model(TINY).eval()


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_videomae_torchscript_export_equals_eager(tiny_model: Recognizer, tmp_path: Path) -> None:
    preset = get_preset(TINY)
    result = export_model(tiny_model, preset, tmp_path / "m.pt", format="torchscript", batch_size=2)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    video = example_input(preset, 2, seed=11)
    with torch.no_grad():
        eager = tiny_model(tiny_model.preprocess(video))
    torch.testing.assert_close(torch.jit.load(str(tmp_path / "m.pt"))(video), eager, rtol=1e-5, atol=1e-5)


def test_videomae_onnx_export_equals_eager(tiny_model: Recognizer, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime", reason="ONNX export needs the 'export' extra (onnxruntime)")
    pytest.importorskip("onnx", reason="ONNX export needs the 'export' extra (onnx)")
    preset = get_preset(TINY)
    export_model(tiny_model, preset, tmp_path / "m.onnx", format="onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    video = example_input(preset, 1, seed=7)
    (got,) = session.run(None, {session.get_inputs()[0].name: video.numpy()})
    with torch.no_grad():
        eager = tiny_model(tiny_model.preprocess(video))
    torch.testing.assert_close(torch.from_numpy(got), eager, rtol=1e-4, atol=1e-4)


def test_videomae_infer_cli(tiny_model: Recognizer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vidcore.data.synth import SynthConfig, render_video, write_h264

    with torch.no_grad():  # scores far from uniform, so the ranking is meaningful
        tiny_model.head.fc_cls.bias.copy_(torch.linspace(-2, 2, 8))
    torch.save({"model": tiny_model.state_dict()}, tmp_path / "model.pth")
    cfg = SynthConfig(size=32, min_frames=24, max_frames=24, fps=12)
    write_h264(tmp_path / "clip.mp4", render_video("move_left", 0, cfg), fps=12)
    assert main(["infer", str(tmp_path / "clip.mp4"), "--preset", TINY, "--checkpoint", str(tmp_path / "model.pth"),
                 "--top-k", "3"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(tmp_path / "clip.mp4") and len(lines) == 4
    scores = [float(line.split()[0]) for line in lines[1:]]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert lines[1].split()[1] == "7"  # the class with the largest bias, named by its index without a label map


# -- inference rewrites ------------------------------------------------------------------------------


def _randomize(module: nn.Module, seed: int) -> nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():  # every tensor non-zero (temporal_fc starts at zero)
            p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return module


@pytest.mark.parametrize("chunk_bytes", [1 << 23, 4 * 3 * 24 * 4 * 3])  # one chunk; 3 positions, 1 frame
def test_divided_block_inference_matches_the_module_path(monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> None:
    # inference folds temporal_fc into the temporal attention's output projection and runs positions,
    # frames and MLP rows in chunks; with autograd recording the block runs its submodules one by
    # one: the reference
    from vidcore.recognition.models import timesformer

    monkeypatch.setattr(timesformer, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(transformer_common, "CHUNK_BYTES", chunk_bytes)
    block = _randomize(DividedSpaceTimeBlock(24, 3, 4), 0).eval()
    x = torch.randn(2, 1 + 5 * 4, 24, generator=torch.Generator().manual_seed(1))
    with torch.enable_grad():
        expected = block(x)
        expected_cls = block(x, True)
    with torch.inference_mode():
        got, got_cls = block(x), block(x, True)
    torch.testing.assert_close(got, expected.detach(), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got_cls, expected_cls.detach(), atol=1e-5, rtol=1e-5)
    # the folded map follows an in-place change of the weights (no stale cache)
    with torch.no_grad():
        block.temporal_fc.weight.mul_(-2.0)
        block.temporal_attn.proj.bias.add_(1.0)
    with torch.enable_grad():
        expected2 = block(x).detach()
    with torch.inference_mode():
        got2 = block(x)
    assert not torch.allclose(expected2, expected.detach(), atol=1e-3)
    torch.testing.assert_close(got2, expected2, atol=1e-5, rtol=1e-5)
    # a write through .data bypasses the version counter: eval() drops the folded map
    block.temporal_fc.bias.data.add_(0.5)
    block.eval()
    with torch.enable_grad():
        expected3 = block(x).detach()
    with torch.inference_mode():
        torch.testing.assert_close(block(x), expected3, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("chunk_bytes", [1 << 23, 4 * 32 * 3])  # one chunk; chunks of 3 rows
def test_mlp_residual_inference_matches_plain_expression(monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> None:
    from vidcore.core.layers import Mlp

    monkeypatch.setattr(transformer_common, "CHUNK_BYTES", chunk_bytes)
    norm, mlp = _randomize(nn.LayerNorm(8), 2), _randomize(Mlp(8, 32), 3)
    x = torch.randn(2, 7, 8, generator=torch.Generator().manual_seed(4))
    h = torch.nn.functional.layer_norm(x, (8,), norm.weight, norm.bias, 1e-5) @ mlp.fc1.weight.t() + mlp.fc1.bias
    h = 0.5 * h * (1 + torch.erf(h / 2**0.5))  # exact GELU
    expected = x + (h @ mlp.fc2.weight.t() + mlp.fc2.bias)
    with torch.inference_mode():
        got = mlp_residual_inference(x, norm, mlp)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
