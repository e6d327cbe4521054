"""BMN and BSN: parameter counts (meta device), the BM sampling mask against hand-computed
weights, the fused BM layer against the plain matmul + 3D convolution, batch consistency, training
step, and the PGM features against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from vidcore.localization import presets as presets_module
from vidcore.localization.datasets import LocalizationBatch
from vidcore.localization.models import bmn as bmn_module
from vidcore.localization.models.bmn import BMN, boundary_matching_mask
from vidcore.localization.models.bsn import PEM, TEM, bsp_features
from vidcore.localization.registry import get_model, get_preset, list_presets


def _params(name: str) -> int:
    with torch.device("meta"):
        model = get_model(name)
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts() -> None:
    # BMN: MMAction2 reports 36.98M, which includes its 100 x (32 * 100 * 100) sampling mask held
    # as a frozen nn.Parameter; the mask is rebuilt here, not a parameter.
    assert _params("bmn_400x100_9e_activitynet_feature") + 100 * 32 * 100 * 100 == 36_978_564
    assert round(_params("bsn_tem_400x100_20e_activitynet_feature") / 1e6, 2) == 1.40
    # PEM by hand: fc1 32 * 256 + 256, fc2 256 + 1
    assert _params("bsn_pem_400x100_20e_activitynet_feature") == 32 * 256 + 256 + 256 + 1
    # TCANet: MMAction2's stock HACS config, measured there (tests/parity)
    assert _params("tcanet_700x100_9e_hacs_feature") == 10_954_255


def test_tcanet_local_mask_and_refine_shapes() -> None:
    from vidcore.localization.models.tcanet import TCANet, local_attention_mask

    m = local_attention_mask(4, 6, 3)  # window 3: |i - j| <= 1.5 visible in heads 0 and 1
    assert m[0, 2].tolist() == [True, False, False, False, True, True]
    assert not m[2].any() and not m[3].any()
    torch.manual_seed(0)
    model = TCANet(feat_dim=16, temporal_dim=20, se_sample_num=8, action_sample_num=16).eval()
    enc = model(torch.randn(2, 16, 20))
    assert enc.shape == (2, 512, 20)
    props = torch.tensor([[0.1, 0.4, 0.0], [0.5, 0.9, 1.0]])
    out = model.refine(enc, props, torch.tensor([0.9, 0.5]))
    assert out.shape == (6, 3) and (out[:, :2] >= 0).all()
    # stage 1's tIoU scales the input scores: the first rows' scores are 0.9 and 0.5 times a sigmoid
    assert (out[:2, 2] < torch.tensor([0.9, 0.5])).all() and (out[:2, 2] > 0).all()


def test_presets_import_every_family() -> None:
    families = {m.__name__ for m in presets_module.FAMILIES}
    modules = {get_preset(p.name).builder.__module__ for p in list_presets()}
    registered = {m for m in modules if m.startswith("vidcore.localization.")}  # not test-registered ones
    assert registered <= families
    assert {"vidcore.localization.models.bmn", "vidcore.localization.models.bsn"} <= registered


def test_bm_mask_hand_computed() -> None:
    # T=4, 2 samples of 1 interpolation, boundary ratio 0.25: the proposal s=1, d=0 spans
    # [1, 1] extended to [0.75, 1.25]; its samples at 0.75 and 1.25 split 0.25/0.75 and 0.75/0.25.
    m = boundary_matching_mask(4, 2, 1, 0.25)  # (T, Ns, D, S)
    np.testing.assert_allclose(m[:, 0, 0, 1], [0.25, 0.75, 0, 0])
    np.testing.assert_allclose(m[:, 1, 0, 1], [0, 0.75, 0.25, 0])
    # s=0, d=0: [-0.25, 0.25]: sample -0.25 keeps weight 1 on snippet 0 (MMAction2's modf rule)
    np.testing.assert_allclose(m[:, 0, 0, 0], [1.0, 0, 0, 0])
    # proposals past the end (s + d >= T) are all zero
    assert not m[:, :, 3, 1].any() and not m[:, :, 1, 3].any()
    # every valid sample's weights sum to 1 when it lies inside [0, T-1]
    np.testing.assert_allclose(m[:, :, 1, 1].sum(0), [1.0, 1.0])


def _tiny_bmn() -> BMN:
    torch.manual_seed(0)
    return BMN(temporal_scale=8, feat_dim=8, num_samples=4, num_samples_per_bin=2, hidden_dim_1d=8,
               hidden_dim_2d=4, hidden_dim_3d=6).eval()  # fmt: skip


def test_fused_bm_layer_equals_matmul_then_conv3d() -> None:
    model = _tiny_bmn()
    x = torch.randn(2, 8, 8)
    mask = torch.from_numpy(boundary_matching_mask(8, 4, 2, 0.5)).view(8, -1)  # (T, Ns*D*S)
    feat = model.x_1d_p(model.x_1d_b(x))  # (N, C, T)
    reference = model.x_3d_p(torch.matmul(feat, mask).view(2, 8, 4, 8, 8)).squeeze(2)  # MMAction2's path
    ours = model._boundary_matching(feat)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_bmn_batch_of_two_equals_two_of_one() -> None:
    model = _tiny_bmn()
    x = torch.randn(2, 8, 8)
    both = model(x)
    for i in range(2):
        one = model(x[i : i + 1])
        torch.testing.assert_close(both.confidence[i], one.confidence[0], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(both.start[i], one.start[0], rtol=1e-5, atol=1e-6)
    assert both.confidence.shape == (2, 2, 8, 8) and both.end.shape == (2, 8)
    with pytest.raises(ValueError, match="BMN takes features"):
        model(torch.randn(1, 7, 8))


def _batch(n: int, c: int, t: int) -> LocalizationBatch:
    g = torch.tensor([[0.2, 0.5], [0.6, 0.9]])
    return LocalizationBatch(
        features=torch.randn(n, c, t), gt_segments=tuple(g for _ in range(n)), video_name=tuple(f"v{i}" for i in range(n)),
        duration_second=torch.full((n,), 50.0, dtype=torch.float64), duration_frame=torch.zeros(n, dtype=torch.int64),
    )  # fmt: skip


def test_bmn_train_step_and_eval() -> None:
    model = _tiny_bmn().train()
    torch.manual_seed(1)
    out = model.forward_train(_batch(2, 8, 8))
    assert set(out) == {"loss", "loss_tem", "loss_pem_reg", "loss_pem_cls"} and torch.isfinite(out["loss"])
    out["loss"].backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.x_3d_p[0].weight.grad.abs().sum() > 0
    ev = model.eval().forward_eval(_batch(2, 8, 8))
    assert ev["video_ids"] == ["v0", "v1"]
    for p in ev["proposals"]:
        assert p.ndim == 2 and p.shape[1] == 3 and len(p) > 0
        assert (p[:, 0] >= 0).all() and (p[:, 1] <= 50.0 + 1e-9).all() and (p[:, 0] < p[:, 1]).all()
        assert np.all(np.diff(p[:, 2]) <= 0)


def test_tem_and_pem() -> None:
    torch.manual_seed(0)
    tem = TEM(temporal_scale=8, feat_dim=8, hidden_dim=16)
    out = tem.forward_train(_batch(2, 8, 8))
    assert torch.isfinite(out["loss"])
    assert torch.allclose(out["loss"], 2 * out["loss_action"] + out["loss_start"] + out["loss_end"])
    res = tem.eval().forward_eval(_batch(2, 8, 8))["tem"][0]
    assert res.shape == (8, 5)
    np.testing.assert_allclose(res[:, 3:], np.stack([np.arange(8) / 8, np.arange(1, 9) / 8], 1))
    pem = PEM()
    assert pem(torch.randn(5, 32)).shape == (5, 1)
    loss = pem.loss(torch.randn(50, 32), torch.rand(50))
    assert torch.isfinite(loss)
    loss.backward()
    assert isinstance(pem.fc1, nn.Linear) and pem.fc1.weight.grad is not None


def test_bsp_features_hand_computed() -> None:
    # constant actionness 1 inside the video: a proposal well inside reads 1 everywhere
    feats = bsp_features(np.ones(100), np.array([[0.3, 0.6]]))
    assert feats.shape == (1, 32)
    np.testing.assert_allclose(feats, 1.0)
    # a linear ramp a(t) = t at the snippet centres: the inside points average samples that are
    # symmetric about each point, so point i reads tmin + i * (tmax - tmin) / 15
    t = (np.arange(100) + 0.5) / 100
    f = bsp_features(t, np.array([[0.3, 0.6]]))
    np.testing.assert_allclose(f[0, :16], 0.3 + np.arange(16) * 0.3 / 15, atol=1e-12)
    # start region [0.3 - 0.06, 0.3 + 0.06] in 8 points
    np.testing.assert_allclose(f[0, 16:24], 0.24 + np.arange(8) * 0.12 / 7, atol=1e-12)


def test_converter_drops_and_checks_the_mask() -> None:
    sd = {k: v for k, v in _tiny_bmn().state_dict().items()}
    sd["bm_mask"] = bmn_module.bm_valid_mask(8)
    sd["sample_mask"] = torch.from_numpy(boundary_matching_mask(8, 4, 3, 0.5)).view(8, -1)
    out = bmn_module.convert_mmaction_bmn(sd)
    assert "sample_mask" not in out and "bm_mask" not in out
    sd["sample_mask"] = sd["sample_mask"] * 2
    with pytest.raises(ValueError, match="sample_mask differs"):
        bmn_module.convert_mmaction_bmn(sd)
