"""3D recognition models: parameter counts against published numbers, shapes of the pathways,
widths and kernels against hand-computed values, training-time behaviour and memory layouts.

The generic forward/backward test over every preset lives with the recognizer tests; numerical
parity with MMAction2 lives in tests/parity/test_recognition_3d_parity.py.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vidcore.recognition.models.c3d import C3D
from vidcore.recognition.models.csn import CSNBottleneck3d, csn_backbone
from vidcore.recognition.models.heads3d import I3DHead, SlowFastHead, X3DHead
from vidcore.recognition.models.r2plus1d import Conv2plus1d, r2plus1d_r34_backbone
from vidcore.recognition.models.resnet3d import (
    Bottleneck3d,
    NonLocalSpec,
    ResNet3d,
    c2d_r50_backbone,
    convert_mmaction_c2d,
    convert_mmaction_recognizer,
    i3d_r50_backbone,
    inflate_from_2d,
    slowonly_backbone,
)
from vidcore.recognition.models.slowfast import ResNet3dPathway, ResNet3dSlowFast, slowfast_backbone
from vidcore.recognition.models.tpn import TPN
from vidcore.recognition.models.x3d import X3D, round_width
from vidcore.recognition.registry import get_model, get_preset


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# Parameter counts of MMAction2's stock configs (measured with MMAction2 1.2.0, shared/PARITY.md and
# the issue), X3D-L from the X3D paper (Table 3: 6.1M).
PUBLISHED_M = {
    "i3d_r50_32x2x1_kinetics400": 28.04,
    "c3d_sports1m_16x1x1_ucf101": 78.41,
    "r2plus1d_r34_8x8x1_kinetics400": 63.76,
    "slowonly_r50_8x8x1_kinetics400": 32.45,
    "slowfast_r50_4x16x1_kinetics400": 34.48,
    "x3d_m_16x5x1_kinetics400": 3.79,
    "x3d_s_13x6x1_kinetics400": 3.79,
    "ipcsn_r152_32x2x1_kinetics400": 33.02,
    "tpn_slowonly_r50_8x8x1_kinetics400": 91.50,
    "tpn_tsm_r50_1x1x8_sthv1": 82.45,
    "c2d_r50_8x8x1_kinetics400": 24.33,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_M))
def test_parameter_count_matches_published(name: str) -> None:
    assert round(n_params(get_model(name)) / 1e6, 2) == PUBLISHED_M[name]


def test_x3d_l_parameter_count_matches_paper() -> None:
    # The paper prints 6.1M (one decimal, truncated): X3D-L has 6.15M.
    assert 6.1e6 <= n_params(get_model("x3d_l_16x5x1_kinetics400")) < 6.2e6


def test_preset_metadata_follows_the_configs() -> None:
    sf = get_preset("slowfast_r50_4x16x1_kinetics400")
    assert (sf.clip_len, sf.frame_interval, sf.test_views, sf.test_crop_size) == (32, 2, 30, 256)
    c3d = get_preset("c3d_sports1m_16x1x1_ucf101")
    assert (c3d.clip_len, c3d.crop_size, c3d.num_classes, c3d.mean, c3d.std) == (
        16,
        112,
        101,
        (104.0, 117.0, 128.0),
        (1.0, 1.0, 1.0),
    )
    x3d = get_preset("x3d_s_13x6x1_kinetics400")
    assert (x3d.clip_len, x3d.frame_interval, x3d.test_crop_size) == (13, 6, 182)
    tpn = get_preset("tpn_tsm_r50_1x1x8_sthv1")
    assert (tpn.input_layout, tpn.num_clips, tpn.test_views) == ("NCHW", 8, 6)


# -- I3D / C2D / SlowOnly ------------------------------------------------------------------------


def _temporal_kernels(layer: nn.Sequential) -> list[int]:
    return [blk.conv1.conv.kernel_size[0] for blk in layer]


def test_i3d_inflation_pattern_and_output_shape() -> None:
    net = i3d_r50_backbone().eval()
    assert _temporal_kernels(net.layer1) == [3, 3, 3]
    assert _temporal_kernels(net.layer2) == [3, 1, 3, 1]
    assert _temporal_kernels(net.layer3) == [3, 1, 3, 1, 3, 1]
    assert _temporal_kernels(net.layer4) == [1, 3, 1]
    assert net.conv1.conv.kernel_size == (5, 7, 7) and net.conv1.conv.stride == (2, 2, 2)
    with torch.no_grad():
        out = net(torch.randn(1, 3, 16, 32, 32))
    # time: stem /2, max-pool /2, pool2 /2 -> 16/8; space /32
    assert out.shape == (1, 2048, 2, 1, 1)


def test_i3d_non_local_blocks_sit_where_the_config_says() -> None:
    net = i3d_r50_backbone(non_local_spec=NonLocalSpec(use_scale=False))
    flags = [[blk.non_local_block is not None for blk in getattr(net, f"layer{i}")] for i in range(1, 5)]
    assert flags == [[0, 0, 0], [0, 1, 0, 1], [0, 1, 0, 1, 0, 1], [0, 0, 0]]
    nl = net.layer2[1].non_local_block
    # MMCV NonLocal3d names, sub-sampled g/phi wrapped with their max-pool.
    keys = set(nl.state_dict())
    assert {"g.0.conv.weight", "theta.conv.weight", "phi.0.conv.weight", "conv_out.bn.weight"} <= keys
    assert n_params(net) + 2048 * 400 + 400 == 35_397_840  # MMAction2's i3d nl-embedded-gaussian config


def test_slowonly_keeps_time_and_c2d_pools_it_once() -> None:
    so = slowonly_backbone().eval()
    c2d = c2d_r50_backbone().eval()
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        assert so(x).shape == (1, 2048, 8, 1, 1)
        assert c2d(x).shape == (1, 2048, 4, 1, 1)
    assert all(m.kernel_size[0] == 1 for m in c2d.modules() if isinstance(m, nn.Conv3d))


def test_c2d_frames_are_independent_before_the_temporal_pool() -> None:
    """C2D is a 2D network per frame: changing frame 5 changes only frame 5 of the stage-1 output."""
    net = c2d_r50_backbone().eval()
    x = torch.randn(1, 3, 8, 32, 32)
    y = x.clone()
    y[:, :, 5] += 1.0
    with torch.no_grad():
        a, b = net.layer1(net.forward_stem(x)), net.layer1(net.forward_stem(y))
    changed = (a - b).abs().amax(dim=(0, 1, 3, 4)) > 0
    assert changed.tolist() == [t == 5 for t in range(8)]


def test_convert_c2d_reshapes_2d_kernels_and_renames_head() -> None:
    sd = {
        "backbone.conv1.conv.weight": torch.randn(64, 3, 7, 7),
        "backbone.conv1.bn.weight": torch.randn(64),
        "cls_head.fc_cls.weight": torch.randn(400, 2048),
    }
    out = convert_mmaction_c2d(sd)
    assert out["backbone.conv1.conv.weight"].shape == (64, 3, 1, 7, 7)
    assert torch.equal(out["backbone.conv1.conv.weight"][:, :, 0], sd["backbone.conv1.conv.weight"])
    assert torch.equal(out["head.fc_cls.weight"], sd["cls_head.fc_cls.weight"])  # 2D: not reshaped
    assert set(convert_mmaction_recognizer({"data_preprocessor.mean": torch.zeros(3)})) == set()


def test_frozen_stages_and_norm_eval() -> None:
    net = ResNet3d(18, frozen_stages=1, norm_eval=True, inflate=(0, 0, 0, 0)).train()
    assert not any(p.requires_grad for p in net.conv1.parameters())
    assert not any(p.requires_grad for p in net.layer1.parameters())
    assert all(p.requires_grad for p in net.layer2.parameters())
    assert all(not m.training for m in net.modules() if isinstance(m, nn.BatchNorm3d))


def test_bad_inflate_pattern_names_the_stage() -> None:
    with pytest.raises(ValueError, match="stage 2 lists 3 blocks, the stage has 4"):
        ResNet3d(50, inflate=(1, (1, 0, 1), 1, 1))


# -- SlowFast --------------------------------------------------------------------------------------


def test_slowfast_pathway_shapes_and_lateral_widths() -> None:
    net = slowfast_backbone().eval()  # 4x16: tau=8, alpha=8, beta=1/8
    # Lateral convs: fast channels -> 2x, time stride alpha, kernel 5x1x1.
    assert net.slow_path.conv1_lateral.conv.in_channels == 8
    assert net.slow_path.conv1_lateral.conv.out_channels == 16
    assert net.slow_path.layer1_lateral.conv.stride == (8, 1, 1)
    assert net.slow_path.layer1_lateral.conv.kernel_size == (5, 1, 1)
    # Slow stage inputs = slow width + 2 * fast width: 64+16, 256+64, 512+128, 1024+256.
    firsts = [getattr(net.slow_path, f"layer{i}")[0].conv1.conv.in_channels for i in range(1, 5)]
    assert firsts == [80, 320, 640, 1280]
    with torch.no_grad():
        slow, fast = net(torch.randn(1, 3, 16, 32, 32))
    assert slow.shape == (1, 2048, 2, 1, 1)
    assert fast.shape == (1, 256, 16, 1, 1)
    head = SlowFastHead(7, 2304)
    assert head((slow, fast)).shape == (1, 7)


def test_slowfast_subsampling_equals_nearest_interpolation() -> None:
    """The slow pathway sees the frames MMAction2's nearest interpolation by 1/tau picks."""
    x = torch.arange(2 * 1 * 32 * 2 * 2, dtype=torch.float32).reshape(2, 1, 32, 2, 2)
    for step in (1, 2, 4, 8):
        ref = F.interpolate(x, mode="nearest", scale_factor=(1.0 / step, 1.0, 1.0))
        assert torch.equal(ResNet3dSlowFast._subsample(x, step), ref)


def test_slowfast_8x8_uses_alpha_4_and_fusion_kernel_7() -> None:
    net = get_model("slowfast_r50_8x8x1_kinetics400").backbone
    assert (net.resample_rate, net.speed_ratio) == (4, 4)
    assert net.slow_path.layer2_lateral.conv.kernel_size == (7, 1, 1)
    assert net.slow_path.layer2_lateral.conv.stride == (4, 1, 1)


# -- X3D ------------------------------------------------------------------------------------------


def test_round_width_hand_values() -> None:
    assert round_width(24, 1.0) == 24
    assert round_width(54, 1 / 16) == 8  # 3.4 -> at least 8
    assert round_width(432, 1 / 16) == 32  # 27 -> 24 is < 0.9 * 27 -> 32
    assert round_width(216, 1 / 16) == 16  # 13.5 -> 16


def test_x3d_m_widths_depths_and_se_placement() -> None:
    net = X3D(gamma_w=1, gamma_b=2.25, gamma_d=2.2)
    assert net.stage_blocks == [3, 5, 11, 7]  # ceil(2.2 * (1, 2, 5, 3))
    outs = [getattr(net, f"layer{i}")[0].conv3.conv.out_channels for i in range(1, 5)]
    mids = [getattr(net, f"layer{i}")[0].conv1.conv.out_channels for i in range(1, 5)]
    assert outs == [24, 48, 96, 192] and mids == [54, 108, 216, 432]
    assert net.feat_dim == 432 and net.conv5.conv.out_channels == 432
    se = [blk.se_module is not None for blk in net.layer2]
    assert se == [True, False, True, False, True]
    assert net.layer4[0].se_module.bottleneck == 32
    assert net.layer1[0].conv2.conv.groups == 54  # depthwise
    with torch.no_grad():
        assert net.eval()(torch.randn(1, 3, 4, 32, 32)).shape == (1, 432, 4, 1, 1)
    head = X3DHead(5, 432)
    assert head.fc1.bias is None and head.fc1.out_features == 2048


# -- R(2+1)D, CSN, C3D ----------------------------------------------------------------------------


def test_conv2plus1d_mid_channels_and_geometry() -> None:
    conv = Conv2plus1d(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False)
    assert conv.mid_channels == 83  # floor(3*3*64*49 / (3*49 + 3*64)) = floor(83.26)
    assert conv.conv_s.kernel_size == (1, 7, 7) and conv.conv_t.kernel_size == (3, 1, 1)
    assert conv(torch.randn(1, 3, 4, 16, 16)).shape == (1, 64, 4, 8, 8)
    net = r2plus1d_r34_backbone().eval()
    assert net.conv1.bn.eps == 1e-3 and net.conv1.conv.bn_s.eps == 1e-5
    with torch.no_grad():
        assert net(torch.randn(1, 3, 8, 32, 32)).shape == (1, 512, 1, 1, 1)


@pytest.mark.parametrize("mode,first", [("ip", 1), ("ir", 3)])
def test_csn_bottleneck_is_channel_separated(mode: str, first: int) -> None:
    blk = CSNBottleneck3d(256, 64, bottleneck_mode=mode, inflate_style="3x3x3", norm_eps=1e-3)
    assert blk.conv2[0].conv.kernel_size[0] == first
    dw = blk.conv2[-1].conv
    assert dw.groups == 64 and dw.kernel_size == (3, 3, 3)
    assert blk(torch.randn(1, 256, 2, 4, 4)).shape == (1, 256, 2, 4, 4)


def test_csn_r152_depth_time_strides_and_frozen_bn() -> None:
    net = csn_backbone("ir", bn_frozen=True)
    assert [len(getattr(net, f"layer{i}")) for i in range(1, 5)] == [3, 8, 36, 3]
    assert [getattr(net, f"layer{i}")[0].conv2[-1].conv.stride[0] for i in range(1, 5)] == [1, 2, 2, 2]
    net.train()
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm3d)]
    assert all(not m.training and not m.weight.requires_grad for m in bns)
    assert all(isinstance(b, CSNBottleneck3d) for b in net.layer1)
    assert issubclass(CSNBottleneck3d, Bottleneck3d)


def test_c3d_needs_16x112x112() -> None:
    net = C3D().eval()
    with torch.no_grad():
        assert net(torch.randn(1, 3, 16, 112, 112)).shape == (1, 4096)
    with pytest.raises(RuntimeError):
        net(torch.randn(1, 3, 8, 64, 64))
    assert I3DHead(101, 4096, spatial_pool=False)(torch.randn(2, 4096)).shape == (2, 101)


# -- TPN --------------------------------------------------------------------------------------------


def test_tpn_neck_shapes_and_aux_loss() -> None:
    torch.manual_seed(0)
    neck = TPN(
        (32, 64),
        32,
        spatial_out_channels=64,
        fusion_mid_channels=(32, 32),
        fusion_out_channels=64,
        temporal_downsample_scales=(4, 4),
        aux_num_classes=5,
    )
    feats = (torch.randn(2, 32, 4, 4, 4), torch.randn(2, 64, 4, 2, 2))
    out = neck(feats)
    assert out.shape == (2, 2048, 1, 2, 2)
    out2, losses = neck.forward_train(feats, torch.tensor([1, 3]))
    assert torch.allclose(out, out2)
    neck.eval()  # dropout off for the comparison
    _, losses_eval = neck.forward_train(feats, torch.tensor([1, 3]))
    # independent: weight * cross-entropy of the aux head's logits
    ref = 0.5 * F.cross_entropy(neck.aux_head(feats[0]), torch.tensor([1, 3]))
    assert torch.allclose(losses_eval["loss_aux"], ref)
    losses["loss_aux"].backward()
    assert neck.aux_head.fc.weight.grad is not None and neck.aux_head.fc.weight.grad.abs().sum() > 0


def test_tpn_tsm_train_step_includes_aux_loss() -> None:
    model = get_model("tpn_tsm_r50_1x1x8_sthv1", num_classes=6)
    assert model.neck.aux_head.fc.out_features == 6
    # Batch 2: the pyramid's BatchNorms see one value per sample at this size (T'=1, 1x1).
    video = torch.randint(0, 255, (2, 8, 3, 32, 32), dtype=torch.uint8)
    batch = {"video": video, "label": torch.tensor([2, 5])}
    out = model.forward_train(batch)
    assert {"loss", "loss_cls", "loss_aux"} <= set(out)
    assert torch.allclose(out["loss"], out["loss_cls"] + out["loss_aux"])


# -- memory layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x3d_s_13x6x1_kinetics400", "slowfast_r50_4x16x1_kinetics400"])
def test_channels_last_3d_gives_the_same_logits(name: str) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes=5).eval()
    x = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        ref = model(x)
        model = model.to(memory_format=torch.channels_last_3d)
        out = model(x.contiguous(memory_format=torch.channels_last_3d))
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


# -- inflation from 2D weights ---------------------------------------------------------------------


def _randomised_resnet18_2d() -> nn.Module:
    from torchvision.models import resnet18

    torch.manual_seed(1)
    net = resnet18()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def test_inflate_from_torchvision_gives_the_2d_network_per_frame() -> None:
    """A 1x7x7 / 1x3x3 ResNet3d initialised from torchvision's ResNet-18 *is* that network on
    every frame (independent reference: torchvision's forward)."""
    tv = _randomised_resnet18_2d()
    net = ResNet3d(18, conv1_kernel=(1, 7, 7), inflate=(0, 0, 0, 0), with_pool2=False).eval()
    unused = inflate_from_2d(net, tv.state_dict())
    assert unused == ["fc.bias", "fc.weight"]
    x = torch.randn(1, 3, 2, 64, 64)
    trunk = nn.Sequential(*list(tv.children())[:-2])  # up to layer4
    with torch.no_grad():
        ours = net(x)  # (1, 512, 2, 2, 2)
        ref = torch.stack([trunk(x[:, :, t]) for t in range(2)], dim=2)
    assert ours.shape == ref.shape == (1, 512, 2, 2, 2)
    assert float((ours - ref).abs().max()) <= 1e-5 * float(ref.abs().max())


def test_inflate_divides_by_temporal_taps_and_zero_pads_laterals() -> None:
    tv = _randomised_resnet18_2d()
    i3d = ResNet3d(18, conv1_kernel=(5, 7, 7))
    inflate_from_2d(i3d, tv.state_dict())
    w2, w3 = tv.conv1.weight, i3d.conv1.conv.weight  # (64, 3, 7, 7) -> (64, 3, 5, 7, 7)
    torch.testing.assert_close(w3, w2.unsqueeze(2).expand_as(w3) / 5)
    w2, w3 = tv.layer2[1].conv2.weight, i3d.layer2[1].conv2.conv.weight  # 3x3 -> 3x3x3
    torch.testing.assert_close(w3, w2.unsqueeze(2).expand_as(w3) / 3)
    slow = ResNet3dPathway(18, lateral=True, lateral_activate=(0, 1, 1, 1), conv1_kernel=(1, 7, 7))
    inflate_from_2d(slow, tv.state_dict())
    w = slow.layer2[0].conv1.conv.weight  # 64 + 16 lateral input channels (64 // 8 * 2)
    assert w.shape[1] == 80 and torch.count_nonzero(w[:, 64:]) == 0
    torch.testing.assert_close(w[:, :64], tv.layer2[0].conv1.weight.unsqueeze(2).expand(128, 64, 3, 3, 3) / 3)
    with pytest.raises(KeyError, match=r"layer1\.0\.conv1"):
        inflate_from_2d(ResNet3d(18), {k: v for k, v in tv.state_dict().items() if "layer1.0.conv1" not in k})


def test_gradient_checkpointing_gives_the_same_gradients() -> None:
    torch.manual_seed(0)
    plain = ResNet3d(18, num_stages=2, out_indices=(1,))
    ckpt = ResNet3d(18, num_stages=2, out_indices=(1,), with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    for net in (plain, ckpt):
        net(x).square().sum().backward()
    for (name, a), b in zip(plain.named_parameters(), ckpt.parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)
