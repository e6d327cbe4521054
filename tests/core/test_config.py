"""Config loading, overrides (every conversion and error path) and saving."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from vidcore.core.config import ConfigError, apply_overrides, config_to_dict, load_config, save_config

EXPERIMENT = """
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

from helpers_for_config import DEFAULT_LR


class Precision(enum.Enum):
    FP32 = "fp32"
    BF16 = "bf16"


@dataclass(frozen=True)
class Optim:
    lr: float = DEFAULT_LR
    momentum: float = 0.9
    nesterov: bool = False
    milestones: tuple[int, ...] = (30, 60)
    betas: tuple[float, float] = (0.9, 0.999)

    def __post_init__(self) -> None:
        if self.lr <= 0:
            raise ValueError(f"lr must be positive, got {self.lr}")


@dataclass
class Data:
    batch_size: int = 8
    root: Path = Path("data/k400")
    mean: list[float] = field(default_factory=lambda: [123.675, 116.28, 103.53])
    extra: dict[str, int] = field(default_factory=dict)
    clip_len: Optional[int] = None
    note: str | None = "plain"


@dataclass
class Model:
    name: Literal["tsn", "tsm", "i3d"] = "tsn"
    num_classes: int = 400
    anything: object = None


@dataclass
class Experiment:
    model: Model = field(default_factory=Model)
    data: Data = field(default_factory=Data)
    optim: Optim = field(default_factory=Optim)
    precision: Precision = Precision.FP32
    head: Optional[Model] = None
    steps: int = field(default=0, init=False)


config = Experiment(model=Model(name="tsm"))
"""


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "helpers_for_config.py").write_text("DEFAULT_LR = 0.01\n")  # a sibling import
    path = tmp_path / "exp.py"
    path.write_text(EXPERIMENT)
    return path


@pytest.fixture()
def cfg(config_file: Path):
    return load_config(config_file)


def test_load_config(cfg, config_file: Path) -> None:
    assert type(cfg).__name__ == "Experiment"
    assert cfg.model.name == "tsm" and cfg.optim.lr == 0.01


def test_load_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.py")
    bad = tmp_path / "syntax.py"
    bad.write_text("x = 1\nconfig = (\n")
    with pytest.raises(ConfigError, match=r"syntax\.py:\d+: syntax error"):
        load_config(bad)
    boom = tmp_path / "boom.py"
    boom.write_text("raise RuntimeError('no GPU here')\n")
    with pytest.raises(ConfigError, match=r"boom\.py.*RuntimeError: no GPU here") as info:
        load_config(boom)
    assert isinstance(info.value.__cause__, RuntimeError)
    nothing = tmp_path / "nothing.py"
    nothing.write_text("cfg = 1\n")
    with pytest.raises(
        ConfigError, match=r"nothing\.py: defines no module-level name 'config' \(it defines: cfg\)"
    ):
        load_config(nothing)
    plain = tmp_path / "plain.py"
    plain.write_text("config = {'lr': 0.1}\n")
    with pytest.raises(ConfigError, match="must be a dataclass instance, got dict"):
        load_config(plain)
    text = tmp_path / "conf.yaml"
    text.write_text("lr: 1\n")
    with pytest.raises(ConfigError, match="Python file"):
        load_config(text)


def test_overrides_convert_to_annotated_types(cfg) -> None:
    new = apply_overrides(
        cfg,
        [
            "optim.lr=0.5",
            "optim.nesterov=yes",
            "optim.milestones=10,20,40",
            "optim.betas=(0.8, 0.99)",
            "data.batch_size=16",
            "data.root=/tmp/videos",
            "data.mean=[1, 2.5, 3]",
            "data.extra={'a': 1}",
            "data.clip_len=32",
            "data.note=None",
            "model.name=i3d",
            "model.num_classes=174",
            "model.anything=[1, 'x']",
            "precision=bf16",
        ],
    )
    assert new.optim == type(cfg.optim)(lr=0.5, nesterov=True, milestones=(10, 20, 40), betas=(0.8, 0.99))
    assert new.data.batch_size == 16 and new.data.root == Path("/tmp/videos")
    assert new.data.mean == [1.0, 2.5, 3.0] and all(isinstance(v, float) for v in new.data.mean)
    assert new.data.extra == {"a": 1} and new.data.clip_len == 32 and new.data.note is None
    assert new.model.name == "i3d" and new.model.num_classes == 174 and new.model.anything == [1, "x"]
    assert new.precision.name == "BF16"
    # the input is not modified, and untouched branches are kept
    assert cfg.optim.lr == 0.01 and cfg.model.name == "tsm" and cfg.data.batch_size == 8
    assert new.optim.momentum == 0.9


def test_override_small_forms(cfg) -> None:
    assert apply_overrides(cfg, ["optim.milestones="]).optim.milestones == ()
    assert apply_overrides(cfg, ["model.name='tsn'"]).model.name == "tsn"
    assert apply_overrides(cfg, ['data.note="a b"']).data.note == "a b"
    assert apply_overrides(cfg, ["data.clip_len=None"]).data.clip_len is None
    assert apply_overrides(cfg, ["precision=FP32"]).precision.value == "fp32"
    assert apply_overrides(cfg, ["model.anything=not a literal"]).model.anything == "not a literal"
    assert apply_overrides(cfg, []) == cfg


def test_unknown_key_lists_valid_and_close_keys(cfg) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(cfg, ["optim.lrr=0.1"])
    msg = str(info.value)
    assert "unknown key 'optim.lrr'" in msg and "did you mean optim.lr" in msg
    assert "lr, milestones, momentum, nesterov" in msg
    with pytest.raises(ConfigError, match=r"unknown key 'modle'.*did you mean model"):
        apply_overrides(cfg, ["modle.name=tsm"])


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        (
            "data.batch_size=eight",
            r"bad value for 'data.batch_size': 'eight' \(expected an int; the field is int\)",
        ),
        ("data.batch_size=1.5", "expected an int"),
        ("optim.lr=fast", r"'fast' \(expected a float"),
        ("optim.nesterov=maybe", "expected a bool"),
        ("model.name=slowfast", r"expected one of 'tsn', 'tsm', 'i3d'"),
        ("optim.betas=0.9", "expected 2 items, got 1"),
        ("optim.milestones=1,x", "expected an int"),
        ("data.extra=[1]", "expected a dict literal"),
        ("precision=int8", "expected one of FP32, BF16"),
        ("data.clip_len=many", r"expected int \| None; the field is int \| None"),
    ],
)
def test_bad_values_name_key_value_and_type(cfg, override: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern):
        apply_overrides(cfg, [override])


def test_structural_errors(cfg) -> None:
    with pytest.raises(ConfigError, match="not of the form key=value"):
        apply_overrides(cfg, ["optim.lr"])
    with pytest.raises(ConfigError, match="empty component"):
        apply_overrides(cfg, ["optim..lr=1"])
    with pytest.raises(ConfigError, match="not one string"):
        apply_overrides(cfg, "optim.lr=1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="is a nested config; set one of its fields instead"):
        apply_overrides(cfg, ["optim=0.1"])
    with pytest.raises(ConfigError, match=r"'head' is NoneType .* not a nested config"):
        apply_overrides(cfg, ["head.name=tsn"])
    with pytest.raises(ConfigError, match="not an init field"):
        apply_overrides(cfg, ["steps=3"])
    with pytest.raises(ConfigError, match=r"optim.lr=-1 rejected by Optim: lr must be positive"):
        apply_overrides(cfg, ["optim.lr=-1"])
    with pytest.raises(ConfigError, match="dataclass instance"):
        apply_overrides({"lr": 1}, ["lr=2"])


def test_save_config_round_trip(cfg, config_file: Path, tmp_path: Path) -> None:
    new = apply_overrides(cfg, ["optim.lr=0.2", "data.root=/x/y"])
    out = save_config(new, tmp_path / "run1" / "logs", source=config_file)
    assert out == tmp_path / "run1" / "logs" / "config.json"
    data = json.loads(out.read_text())
    assert data == config_to_dict(new)
    assert data["optim"] == {
        "lr": 0.2,
        "momentum": 0.9,
        "nesterov": False,
        "milestones": [30, 60],
        "betas": [0.9, 0.999],
    }
    assert data["data"]["root"] == "/x/y" and data["precision"] == "fp32" and data["head"] is None
    assert (out.parent / "config_source.py").read_text() == config_file.read_text()
    assert "Optim(lr=0.2" in (out.parent / "config.txt").read_text()
    # the saved values, fed back as overrides, rebuild the same config
    back = apply_overrides(
        cfg,
        [f"optim.{k}={json.dumps(v)}" for k, v in data["optim"].items()]
        + [f"data.root={data['data']['root']}"],
    )
    assert back == new


def test_config_to_dict_odd_values() -> None:
    @dataclasses.dataclass
    class C:
        fn: object = len
        cls: object = Path
        s: frozenset = frozenset({2, 1})
        inf: float = float("inf")

    d = config_to_dict(C())
    assert d == {"fn": "builtins.len", "cls": "pathlib.Path", "s": [1, 2], "inf": "inf"}
    json.dumps(d)


def test_sibling_import_does_not_leak_into_sys_path(config_file: Path) -> None:
    import sys

    load_config(config_file)
    assert str(config_file.parent) not in sys.path
