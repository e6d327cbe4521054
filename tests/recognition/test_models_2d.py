"""The 2D family (ResNet, TSN, TSM, TIN, TANet, TRN, MobileNetV2-TSM) against independent truths:
torchvision's ResNet and MobileNetV2, hand-computed shifts, direct loop implementations of the
TIN and TAM formulas, and MMAction2's published parameter counts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from vidcore.recognition.models.mobilenet_v2 import MobileNetV2
from vidcore.recognition.models.resnet import Bottleneck, ResNet, convert_torchvision_resnet
from vidcore.recognition.models.tanet import TAM
from vidcore.recognition.models.tin import TemporalInterlace, linear_temporal_shift
from vidcore.recognition.models.trn import RelationModuleMultiScale, TRNHead
from vidcore.recognition.models.tsm import ResNetTSM, TemporalShift, TSMHead, temporal_shift, tsm_resnet
from vidcore.recognition.models.tsn import TSNHead, tsn_resnet
from vidcore.recognition.registry import get_model

# ------------------------------------------------------------------------------------ parameter counts
#: MMAction2 1.2.0 stock configs, measured with MMAction2 (shared/PARITY.md), in millions.
PUBLISHED_M = {
    "tsn_r50_1x1x3_kinetics400": 24.33,
    "tsm_r50_1x1x8_kinetics400": 24.33,
    "tanet_r50_1x1x8_kinetics400": 25.59,
    "trn_r50_1x1x8_sthv1": 26.64,
    "tin_r50_1x1x8_sthv1": 23.90,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_M))
def test_parameter_count_matches_mmaction(name: str) -> None:
    with torch.device("meta"):
        model = get_model(name)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 2) == PUBLISHED_M[name]


# ------------------------------------------------------------------------------------ ResNet
@pytest.mark.parametrize("depth", [18])
def test_resnet_equals_torchvision_after_conversion(depth: int) -> None:
    """Our ResNet with converted torchvision weights computes torchvision's features exactly."""
    torch.manual_seed(0)
    tv = getattr(torchvision.models, f"resnet{depth}")(weights=None).eval()
    with torch.no_grad():  # non-trivial BN statistics
        for m in tv.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    ours = ResNet(depth).eval()
    ours.load_state_dict(convert_torchvision_resnet(tv.state_dict()), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = tv.layer4(tv.layer3(tv.layer2(tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))))))
        got = ours(x)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
    assert ours.feat_dim == (512 if depth == 18 else 2048)


def test_resnet_out_indices_frozen_stages_and_partial_bn() -> None:
    net = ResNet(18, out_indices=(1, 3), frozen_stages=1, partial_bn=True)
    outs = net.eval()(torch.randn(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 128, 8, 8), (1, 512, 2, 2)]
    net.train()
    assert not any(p.requires_grad for p in net.conv1.parameters())
    assert not any(p.requires_grad for p in net.layer1.parameters())
    assert net.layer1.training is False and net.layer2.training is True
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert not bns[0].training and all(not m.training for m in bns[1:])  # stem frozen, rest partial-BN
    assert all(p.requires_grad for p in net.layer2[0].conv1.conv.parameters())
    with pytest.raises(ValueError, match="depth"):
        ResNet(42)


# ------------------------------------------------------------------------------------ TSM
def test_temporal_shift_hand_example() -> None:
    # B=1, T=3, C=8 (fold = 1 with shift_div 8), H=W=1; value = 10*t + c
    x = torch.tensor([[10.0 * t + c for c in range(8)] for t in range(3)]).view(3, 8, 1, 1)
    y = temporal_shift(x, 3, shift_div=8).view(3, 8)
    # channel 0 takes the next frame's value (zero at the end), channel 1 the previous frame's
    assert y[:, 0].tolist() == [10.0, 20.0, 0.0]
    assert y[:, 1].tolist() == [0.0, 1.0, 11.0]
    assert torch.equal(y[:, 2:], x.view(3, 8)[:, 2:])


def test_temporal_shift_blockres_vs_block_placement() -> None:
    """With the residual branch silenced, a residual ('blockres') shift leaves the block the
    identity, while an in-place ('block') shift shifts the shortcut too."""
    torch.manual_seed(0)
    block = Bottleneck(16, 4).eval()
    nn.init.zeros_(block.conv3.bn.weight)
    nn.init.zeros_(block.conv3.bn.bias)
    x = torch.rand(2 * 4, 16, 3, 3)
    block.set_temporal(TemporalShift(4, shift_div=4), "residual")
    torch.testing.assert_close(block(x), x)
    block.set_temporal(TemporalShift(4, shift_div=4), "block")
    torch.testing.assert_close(block(x), temporal_shift(x, 4, 4))


def test_tsm_shift_every_other_block_for_deep_resnets_and_temporal_pool() -> None:
    with torch.device("meta"):
        r101 = ResNetTSM(101, 8)
        r50 = ResNetTSM(50, 8)
    shifted = [b.temporal is not None for b in r101.layer3]
    assert shifted == [i % 2 == 0 for i in range(23)]
    assert all(b.temporal is not None for b in r50.blocks())
    net = ResNetTSM(18, 4, temporal_pool=True).eval()
    out = net(torch.randn(2 * 4, 3, 32, 32))
    assert out.shape == (2 * 2, 512, 1, 1)  # time pooled 4 -> 2 before layer2
    assert net.layer2[0].temporal.num_segments == 2


def test_tsm_head_and_tsn_head_average_frames() -> None:
    torch.manual_seed(0)
    feats = torch.randn(3, 4, 6, 2, 2)  # (B, T, C, h, w)
    for head in (TSMHead(6, 5, dropout=0.0), TSNHead(6, 5, dropout=0.0)):
        pooled = feats.mean(dim=(3, 4)).mean(dim=1)  # consensus of linear scores = score of mean
        expected = pooled @ head.fc_cls.weight.T + head.fc_cls.bias
        torch.testing.assert_close(head(feats), expected)
    head = TSNHead(6, 5, dropout=0.0, consensus="max")
    torch.testing.assert_close(head(feats), head.fc_cls(feats.mean(dim=(3, 4)).amax(dim=1)))


def test_tsn_accepts_any_number_of_segments_but_tsm_does_not() -> None:
    tsn = tsn_resnet(18, num_classes=4, num_segments=3).eval()
    video = torch.randint(0, 256, (1, 5, 3, 32, 32), dtype=torch.uint8)
    assert tsn.predict(video).shape == (1, 4)
    tsm = tsm_resnet(18, num_classes=4, num_segments=8).eval()
    with pytest.raises(ValueError, match="8 segments"):
        tsm.predict(video)


# ------------------------------------------------------------------------------------ TIN
def _paper_shift(x: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
    """TIN's interlaced shift as the paper writes it: each group is read at the fractional time
    ``t - s`` by linear interpolation, ``x(p) = sum_k x[k] * max(0, 1 - |p - k|)``, zero outside."""
    n, t, c, _ = x.shape
    g = offset.shape[1]
    out = torch.zeros_like(x)
    for b, tt, ch in itertools.product(range(n), range(t), range(c)):
        p = tt - float(offset[b, ch // (c // g)])
        for k in range(t):
            out[b, tt, ch] += x[b, k, ch] * max(0.0, 1.0 - abs(p - k))
    return out


@pytest.mark.parametrize("offsets", [[0.0, 1.0, -1.0, 2.0], [0.3, -1.7, 1.25, -0.5], [3.5, -4.0, 0.999, -0.001]])
def test_tin_linear_shift_equals_paper_formula(offsets: list[float]) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 5, 8, 3, dtype=torch.float64)
    offset = torch.tensor([offsets, [-o for o in offsets]], dtype=torch.float64)
    torch.testing.assert_close(linear_temporal_shift(x, offset), _paper_shift(x, offset))


def test_tin_linear_shift_integer_offset_is_tsm_shift() -> None:
    x = torch.randn(1, 4, 8, 5)
    y = linear_temporal_shift(x, torch.tensor([[-1.0, 1.0, 0.0, 0.0]]))
    # offset -1 reads the next frame, +1 the previous one: TSM's two shifted folds
    ref = temporal_shift(x.reshape(4, 8, 5, 1), 4, shift_div=4).view(1, 4, 8, 5)
    torch.testing.assert_close(y, ref)


def test_tin_shift_gradient_reaches_offsets() -> None:
    x = torch.randn(1, 4, 4, 2, dtype=torch.float64, requires_grad=True)
    off = torch.tensor([[0.3, -0.6, 1.2, -1.4]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(linear_temporal_shift, (x, off))


def test_temporal_interlace_starts_near_half_frame_shifts() -> None:
    """At initialisation the weight net gives 1 and the offset net about 4*(sigmoid(0.5108)-0.5)
    = 0.5 frames; with zero input to the offset net the shift is exactly that."""
    tin = TemporalInterlace(16, num_segments=4, shift_div=1).eval()
    nn.init.zeros_(tin.offset_net.conv.weight)
    nn.init.zeros_(tin.offset_net.conv.bias)
    nn.init.zeros_(tin.weight_net.conv.weight)
    x = torch.randn(4, 16, 2, 2)
    o = 4 * (1 / (1 + math.exp(-0.5108)) - 0.5)
    assert abs(o - 0.5) < 1e-3
    fc1_out = torch.relu(tin.offset_net.fc1.bias.detach())  # the conv gives zeros: fc1 sees 0
    expected_off = 4 * (torch.sigmoid(tin.offset_net.fc2(fc1_out).detach()) - 0.5)
    offsets = torch.cat([expected_off, -expected_off]).view(1, 4)
    ref = _paper_shift(x.view(1, 4, 16, 4), offsets).view(4, 16, 2, 2)
    torch.testing.assert_close(tin(x), ref, atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------ TANet
def test_tam_equals_direct_formula() -> None:
    """y[b,c,t] = sum_j K[b,c,j] * a[b,c,t+j-1] * x[b,c,t+j-1] with the adaptive kernel K from the
    global branch and the attention a from the local branch, zero-padded in time."""
    torch.manual_seed(0)
    b, t, c, h, w = 2, 4, 8, 2, 3
    tam = TAM(c, t).eval()
    with torch.no_grad():
        for m in tam.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    x = torch.randn(b * t, c, h, w)
    with torch.no_grad():
        got = tam(x)
        x5 = x.view(b, t, c, h, w)
        pooled = x5.mean(dim=(3, 4)).transpose(1, 2)  # (B, C, T)
        kernel = tam.G(pooled.reshape(b * c, t)).view(b, c, 3)
        att = tam.L(pooled)  # (B, C, T)
        ref = torch.zeros(b, t, c, h, w)
        for bb, cc, tt, j in itertools.product(range(b), range(c), range(t), range(3)):
            src = tt + j - 1
            if 0 <= src < t:
                ref[bb, tt, cc] += kernel[bb, cc, j] * att[bb, cc, src] * x5[bb, src, cc]
    torch.testing.assert_close(got, ref.view(b * t, c, h, w), atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------------------------ TRN
def test_trn_multiscale_relations_and_sampling() -> None:
    rel = RelationModuleMultiScale(hidden_dim=4, num_segments=4, num_classes=3)
    assert rel.scales == [4, 3, 2]
    assert [len(r) for r in rel.relations_scales] == [1, 4, 6]  # C(4,4), C(4,3), C(4,2)
    assert rel.subsample_scales == [1, 3, 3]
    x = torch.randn(2, 4, 4)
    np.random.seed(3)
    got = rel(x)
    # the same draws, by hand: full relation + 3 of C(4,3) + 3 of C(4,2)
    np.random.seed(3)
    ref = rel.fc_fusion_scales[0](x.reshape(2, -1))
    for i in (1, 2):
        for j in np.random.choice(len(rel.relations_scales[i]), 3, replace=False):
            ref = ref + rel.fc_fusion_scales[i](x[:, list(rel.relations_scales[i][j])].reshape(2, -1))
    torch.testing.assert_close(got, ref)


def test_trn_head_single_relation_is_mlp_on_concatenated_frames() -> None:
    head = TRNHead(6, 5, num_segments=3, relation="single", hidden_dim=4, dropout=0.0).eval()
    feats = torch.randn(2, 3, 6, 2, 2)
    frames = head.fc_cls(feats.mean(dim=(3, 4)))  # (B, T, D)
    torch.testing.assert_close(head(feats), head.consensus.classifier(frames.reshape(2, -1)))
    head.reset_classifier(7)
    assert head.num_classes == 7 and head(feats).shape == (2, 7)


# ------------------------------------------------------------------------------------ MobileNetV2
def test_mobilenet_v2_matches_torchvision_size_and_shift_placement() -> None:
    with torch.device("meta"):
        ours = MobileNetV2(num_segments=8)
        tv = torchvision.models.mobilenet_v2(weights=None)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in tv.features.parameters())
    # shifted: blocks with an expansion conv and an identity shortcut (1 + 2 + 3 + 2 + 2)
    shifted = [m for m in ours.modules() if getattr(m, "shift", None) is not None]
    assert len(shifted) == 10
    net = MobileNetV2(num_segments=2).eval()
    assert net(torch.randn(4, 3, 64, 64)).shape == (4, 1280, 2, 2)
