"""Every registered preset (2D and 3D) has the same face: it builds, trains a step on a tiny clip
(finite loss, gradients everywhere that matters), gives the same eval scores for a batch of two as
for two batches of one, and swaps its classifier with ``reset_classifier``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.core.registry import RegistryError
from vidcore.recognition import presets as preset_modules
from vidcore.recognition.meta import K400_2D
from vidcore.recognition.recognizer import Recognizer
from vidcore.recognition.registry import (
    PRESETS as REGISTRY,
)
from vidcore.recognition.registry import (
    Preset,
    get_model,
    get_preset,
    list_presets,
    register_preset,
)

PRESETS = [p.name for p in list_presets()]

#: Presets whose classifier input depends on the spatial size (C3D's fc6 takes 512*4*4 features).
SPATIAL = {"c3d_sports1m_16x1x1_ucf101": 112}
TINY = 32
NUM_CLASSES = 5


def _video(preset: Preset, batch: int, seed: int) -> torch.Tensor:
    t = preset.frames_per_clip
    s = SPATIAL.get(preset.name, TINY)
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (batch, t, preset.channels, s, s), dtype=torch.uint8, generator=gen)


def test_registry_lists_the_2d_and_3d_families() -> None:
    names = set(PRESETS)
    for expected in (
        "tsn_r50_1x1x3_kinetics400",
        "tsm_r50_1x1x8_kinetics400",
        "tin_r50_1x1x8_sthv1",
        "tanet_r50_1x1x8_kinetics400",
        "trn_r50_1x1x8_sthv1",
        "tsm_mobilenetv2_1x1x8_kinetics400",
        "tsm_r18_1x1x8_kinetics400",
    ):
        assert expected in names
    assert all(get_preset(n).name == n for n in REGISTRY.names())  # every builder has its preset


def test_registry_errors() -> None:
    with pytest.raises(RegistryError, match="did you mean tsm_r50_1x1x8_kinetics400"):
        get_model("tsm_r50_1x1x8_kinetic400")
    with pytest.raises(RegistryError, match="registered twice"):

        def tsm_r50_1x1x8_kinetics400() -> None: ...

        register_preset(K400_2D)(tsm_r50_1x1x8_kinetics400)
    with pytest.raises(ValueError, match="test_crops"):
        Preset(num_clips=8, num_classes=4, dataset="x", input_layout="NCHW", test_crops=2)
    with pytest.raises(TypeError, match="takes a ModelPreset"):
        register_preset({"num_classes": 4})  # the old keyword form is refused, not half-accepted
    with pytest.raises(RegistryError, match=r"tsm_r18_1x1x8_kinetics400.*vidcore-recognition models"):
        get_model("tsm_r18")  # a prefix lists the presets it starts


def test_preset_shapes_follow_the_sampling() -> None:
    tsm = get_preset("tsm_r50_1x1x8_sthv2")  # 8 segments, test: twice-sampled x 3 crops of 256
    assert tsm.input_shape == (8, 3, 224, 224)
    assert tsm.test_views == 6 and tsm.test_input_shape == (6, 8, 3, 256, 256)
    tsn = get_preset("tsn_r50_1x1x3_kinetics400")  # 3 segments in training, 25 x 10 crops in test
    assert tsn.input_shape[0] == 3 and tsn.test_input_shape == (10, 25, 3, 224, 224)
    assert get_preset("tanet_r50_1x1x8_kinetics400").mean == (123.675, 116.28, 103.5)  # as the config


def _structure(name: str) -> tuple:
    """Presets of one family whose builders call the same functions with other literals (depth,
    segments, label set, non-local mode) run the same code paths: only the cheapest of them trains
    a step below (all of them run the evaluation checks). The key is the builder's module and the
    global names its code uses."""
    builder = get_preset(name).builder
    return (builder.__module__, builder.__code__.co_names)


def _cost(name: str) -> tuple:
    """Rough cost order to pick the cheapest preset of each structure: fewer frames, shallower."""
    deep = any(d in name for d in ("r101", "r152"))
    return (get_preset(name).frames_per_clip, deep, name)


_FIRST_OF_STRUCTURE: dict[tuple, str] = {}
for _name in sorted(PRESETS, key=_cost):
    _FIRST_OF_STRUCTURE.setdefault(_structure(_name), _name)
_TRAIN_STEP = set(_FIRST_OF_STRUCTURE.values())


#: Families whose presets are too large to build one by one here (ViTs of 22M-355M parameters,
#: most with fixed input sizes): tiny configs of the same classes train a step, batch and reset
#: in tests/recognition/test_models_vit.py; here each preset is checked on the meta device.
BUILT_TINY = {f"vidcore.recognition.models.{m}" for m in ("videomae", "timesformer", "uniformerv2")}


@pytest.mark.parametrize("name", PRESETS)
def test_preset_trains_predicts_and_resets(name: str) -> None:
    torch.manual_seed(0)
    preset = get_preset(name)
    if preset.builder.__module__ in BUILT_TINY:
        with torch.device("meta"):
            model = get_model(name, num_classes=NUM_CLASSES)
            assert isinstance(model, Recognizer) and model.num_classes == NUM_CLASSES
            model.reset_classifier(3)
        assert model.num_classes == 3
        assert model.input_layout == preset.input_layout and model.in_channels == preset.channels
        return
    model = get_model(name, num_classes=NUM_CLASSES)
    assert isinstance(model, Recognizer) and model.num_classes == NUM_CLASSES
    video = _video(preset, 2, seed=1)
    if name in _TRAIN_STEP:
        # one training step on a tiny batch: finite loss, gradients reaching the stem and the classifier
        model.train()
        np.random.seed(0)
        out = model.forward_train({"video": video, "label": torch.tensor([1, 3])})
        assert torch.isfinite(out["loss"])
        out["loss"].backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert all(g is None or torch.isfinite(g).all() for g in grads)
        first = next(p for p in model.backbone.parameters() if p.requires_grad)
        last = [p for p in model.head.parameters() if p.requires_grad][-1]
        assert first.grad is not None and first.grad.abs().sum() > 0
        assert last.grad is not None and last.grad.abs().sum() > 0

    # eval: the first video scores the same alone as in a batch of two
    model.eval()
    with torch.no_grad():
        x = model.preprocess(video)
        np.random.seed(0)
        both = model(x)
        np.random.seed(0)
        first_alone = model(x[: x.shape[0] // 2])
    assert both.shape == (2, NUM_CLASSES)
    assert torch.isfinite(both).all()
    torch.testing.assert_close(both[:1], first_alone, atol=1e-4, rtol=1e-4)

    model.reset_classifier(3)
    assert model.num_classes == 3
    with torch.no_grad():
        np.random.seed(0)
        assert model(x[: x.shape[0] // 2]).shape == (1, 3)

    # what the preset promises (layout, normalization, segments) is what the model does
    assert model.input_layout == preset.input_layout
    assert model.in_channels == preset.channels
    assert model.mean.tolist() == pytest.approx(list(preset.mean)), "the model normalizes with another mean"
    assert model.std.tolist() == pytest.approx(list(preset.std)), "the model normalizes with another std"
    if preset.input_layout == "NCHW":
        assert model.num_segments == preset.num_clips * preset.clip_len
    with torch.device("meta"):
        assert get_model(name).num_classes == preset.num_classes


def test_every_registering_family_is_imported_by_the_presets_module() -> None:
    """A model module that registers presets but is missing from ``presets.py`` would drop its
    family from the registry when imported alone: every family that registers is listed there."""
    import importlib
    import pkgutil

    import vidcore.recognition.models as models

    registering = {
        p.builder.__module__ for p in list_presets() if p.builder.__module__.startswith(models.__name__)
    }
    listed = {m.__name__ for m in preset_modules.FAMILIES}
    assert registering <= listed
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        source = Path(module.__file__).read_text()
        if "@register_preset" in source:
            assert module.__name__ in listed, f"{module.__name__} registers presets but presets.py does not import it"


@pytest.mark.parametrize("name", PRESETS)
def test_declared_classifier_is_what_depends_on_the_class_count(name: str) -> None:
    """``Preset.classifier`` names exactly the tensors whose shape changes with ``num_classes``
    (found independently by building the model twice on the meta device), and the class count
    read back from a state dict is the one it was built with."""
    preset = get_preset(name)
    with torch.device("meta"):
        a = get_model(name, num_classes=7).state_dict()
        b = get_model(name, num_classes=11).state_dict()
    varying = {k for k in a if a[k].shape != b[k].shape}
    assert varying and set(preset.classifier_keys(a)) == varying
    assert preset.num_classes_in(a) == 7 and preset.num_classes_in(b) == 11
