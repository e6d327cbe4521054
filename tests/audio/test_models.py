"""Audio models: parameter counts against hand derivations and MMAction2's published figures,
feature-map shapes, the head's arithmetic, view aggregation, a training step, batch independence,
presets (declared classifier, family imports) and checkpoint conversion."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import torch

from vidcore.audio import presets as preset_modules
from vidcore.audio.convert import ConversionError, convert_mmaction_checkpoint
from vidcore.audio.models.head import AudioHead
from vidcore.audio.models.resnet import ResNet
from vidcore.audio.models.resnet_audio import ConvAudio, ResNetAudio
from vidcore.audio.recognizer import AudioRecognizer, average_views
from vidcore.audio.registry import RegistryError, get_model, get_preset, list_presets

PRESETS = [p.name for p in list_presets()]
TSN = "tsn_r18_64x1x1_kinetics400_audio_feature"
AUDIOONLY = "audioonly_r50_64x1x1_kinetics400_audio_feature"


def _params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_equal_mmaction2() -> None:
    with torch.device("meta"):
        tsn, audioonly = get_model(TSN), get_model(AUDIOONLY)
    # torchvision's resnet18 has 11,689,512 parameters: minus its 1000-way fc (513,000) and two of
    # the three stem input channels (2 * 64 * 7 * 7 = 6,272), plus a 400-way fc on 512 features
    assert _params(tsn) == 11_689_512 - 513_000 - 6_272 + 512 * 400 + 400 == 11_375_440
    # MMAction2 1.2.0 (shared/PARITY.md, issue 14): 11.38M and 6.32M with 400 classes
    assert round(_params(tsn) / 1e6, 2) == 11.38
    assert round(_params(audioonly) / 1e6, 2) == 6.32


def test_feature_map_shapes() -> None:
    x = torch.rand(2, 1, 64, 32)
    with torch.no_grad():
        assert ResNet(18).eval()(x).shape == (2, 512, 2, 1)  # stride 32
        assert ResNetAudio(50).eval()(x).shape == (2, 1024, 8, 4)  # stride 8, no stem pooling


def test_conv_audio_branches() -> None:
    torch.manual_seed(0)
    conv = ConvAudio(1, 4, 9, op="sum").eval()
    x = torch.rand(1, 1, 20, 12)
    with torch.no_grad():
        a, b = conv.conv_1(x), conv.conv_2(x)
        assert conv.conv_1.conv.kernel_size == (9, 1) and conv.conv_2.conv.kernel_size == (1, 9)
        assert a.shape == b.shape == (1, 4, 20, 12)  # "same" padding on each axis
        torch.testing.assert_close(conv(x), a + b)
    cat = ConvAudio(4, 4, 3, stride=2, op="concat").eval()
    assert cat(torch.rand(1, 4, 20, 12)).shape == (1, 8, 10, 6)


def test_head_pools_then_classifies() -> None:
    head = AudioHead(3, 2, dropout=0.5).eval()
    with torch.no_grad():
        head.fc_cls.weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, -1.0, 0.0]]))
        head.fc_cls.bias.copy_(torch.tensor([0.5, 0.0]))
    feats = torch.zeros(1, 3, 2, 2)
    feats[0, 0] = torch.tensor([[1.0, 3.0], [5.0, 7.0]])  # mean 4
    feats[0, 1] = 2.0
    feats[0, 2] = torch.tensor([[0.0, 0.0], [0.0, 1.0]])  # mean 0.25
    assert head(feats).tolist() == [[4.0 + 0.5 + 0.5, -2.0]]


def test_average_views_by_hand() -> None:
    logits = torch.tensor([[[0.0, 0.0], [2.0, 0.0]]])  # one sample, two views
    p = torch.tensor([0.5, 0.5]) + torch.tensor([1 / (1 + torch.e**-2), 1 / (1 + torch.e**2)])
    torch.testing.assert_close(average_views(logits, "prob"), (p / 2).view(1, 2))
    torch.testing.assert_close(average_views(logits, "score"), torch.tensor([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="average_clips"):
        average_views(logits, "max")  # type: ignore[arg-type]


def _tiny(preset: str) -> AudioRecognizer:
    torch.manual_seed(0)
    return get_model(preset, num_classes=5)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_trains_and_predicts(name: str) -> None:
    model = _tiny(name)
    clips = torch.rand(2, 32, 24)  # (N, T, F): small clips keep the test fast
    model.train()
    out = model.forward_train({"audio": clips, "label": torch.tensor([1, 3])})
    assert torch.isfinite(out["loss"]) and 0.0 <= float(out["top1"]) <= 1.0
    out["loss"].backward()
    stem = next(model.backbone.parameters())
    assert stem.grad is not None and stem.grad.abs().sum() > 0
    model.eval()
    views = torch.rand(2, 3, 32, 24)  # (N, V, T, F)
    both = model.predict(views)
    one = torch.cat([model.predict(views[:1]), model.predict(views[1:])])
    torch.testing.assert_close(both, one, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(both.sum(dim=1), torch.ones(2))
    model.reset_classifier(3)
    assert model.num_classes == 3 and model.predict(views).shape == (2, 3)


def test_preset_metadata() -> None:
    p = get_preset(AUDIOONLY)
    assert p.test_input_shape == (10, 128, 80) and p.input_shape == (128, 80)
    assert p.feature_rate == 62.5  # 16 kHz / 256-sample hop
    assert get_preset(TSN).test_num_clips == 1
    with pytest.raises(RegistryError, match="did you mean"):
        get_model("tsn_r18_64x1x1_kinetics400_audio")


@pytest.mark.parametrize("name", PRESETS)
def test_declared_classifier_is_what_depends_on_the_class_count(name: str) -> None:
    preset = get_preset(name)
    with torch.device("meta"):
        a = get_model(name, num_classes=7).state_dict()
        b = get_model(name, num_classes=11).state_dict()
    varying = {k for k in a if a[k].shape != b[k].shape}
    assert varying and set(preset.classifier_keys(a)) == varying
    assert preset.num_classes_in(a) == 7


def test_every_registering_family_is_imported_by_the_presets_module() -> None:
    import vidcore.audio.models as models

    listed = {m.__name__ for m in preset_modules.FAMILIES}
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        if "@register_preset" in Path(module.__file__).read_text():
            assert module.__name__ in listed, f"{module.__name__} registers presets but presets.py misses it"


def test_convert_round_trip_and_errors(tmp_path: Path) -> None:
    model = _tiny(TSN)
    mm = {("cls_head." + k[5:] if k.startswith("head.") else k): v for k, v in model.state_dict().items()}
    torch.save({"meta": {}, "state_dict": mm}, tmp_path / "mm.pth")
    sd = convert_mmaction_checkpoint(tmp_path / "mm.pth", TSN)
    assert sd.keys() == model.state_dict().keys() and sd["head.fc_cls.weight"].shape == (5, 512)
    fresh = get_model(TSN, num_classes=5)
    fresh.load_state_dict(sd, strict=True)
    del mm["backbone.layer4.1.conv2.bn.weight"]
    with pytest.raises(ConversionError, match=r"missing \(1\): backbone.layer4.1.conv2.bn.weight"):
        convert_mmaction_checkpoint(mm, TSN)
    with pytest.raises(ConversionError, match="unexpected"):
        convert_mmaction_checkpoint(mm | {"backbone.layer4.1.conv2.bn.weight": torch.ones(512)}, AUDIOONLY)
