"""The shared ``fuse`` verb (vidcore.core.fuse_cli) and the product fusion of vidcore.core.scores:
hand-computed sum and product fusions, the fused score file, the one-line refusals, and the same
verb reachable from every task CLI that writes score files."""

from __future__ import annotations

import argparse
import json
import math
import shlex
from pathlib import Path

import numpy as np
import pytest

from vidcore.core.fuse_cli import FuseVerb
from vidcore.core.scores import ScoreFileError, fuse, read_scores, write_scores

# classes: (motion 0, sound 0) (motion 0, sound 1) (motion 1, sound 0) (motion 1, sound 1)
# s0 is class 0, s1 is class 3. The video knows the motion but splits it unevenly over the sounds;
# the audio knows the sound but splits it over the motions.
VIDEO = [[0.20, 0.70, 0.05, 0.05], [0.05, 0.05, 0.50, 0.40]]  # argmax 1, 2: both miss
AUDIO = [[0.44, 0.05, 0.46, 0.05], [0.05, 0.45, 0.05, 0.45]]  # argmax 2, 1: both miss
LABELS = [0, 3]
NAMES = ["m0_s0", "m0_s1", "m1_s0", "m1_s1"]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    v = write_scores(tmp_path / "video.npz", VIDEO, LABELS, ["s0", "s1"], class_names=NAMES)
    a = write_scores(tmp_path / "audio.npz", AUDIO[::-1], LABELS[::-1], ["s1", "s0"])  # other order
    return v, a


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="vidcore-x")
    FuseVerb("vidcore-x").add_parser(parser.add_subparsers(dest="verb")).set_defaults(_run=FuseVerb("vidcore-x").run)
    args = parser.parse_args(argv)
    return args._run(args)


def test_sum_and_product_by_hand(files: tuple[Path, Path]) -> None:
    v, a = files
    # sum: s0 [0.64 0.75 0.51 0.10] -> 1 (miss); s1 [0.10 0.50 0.55 0.85] -> 3 (hit)
    summed = fuse([v, a])
    assert [r.top1 for r in summed.inputs] == [0.0, 0.0] and summed.fused.top1 == 0.5
    np.testing.assert_allclose(summed.scores[0], [0.64, 0.75, 0.51, 0.10], atol=1e-6)
    # product: s0 [0.088 0.035 0.023 0.0025] -> 0 (hit); s1 [0.0025 0.0225 0.025 0.18] -> 3 (hit)
    product = fuse([v, a], combine="product")
    assert product.fused.top1 == 1.0 and product.fused.mean_class_accuracy == 1.0
    np.testing.assert_allclose(product.scores[0], [math.log(0.20 * 0.44), math.log(0.70 * 0.05),
                                                   math.log(0.05 * 0.46), math.log(0.05 * 0.05)], atol=1e-6)  # fmt: skip
    # weights are exponents in the product: 1:0 is the video alone
    assert fuse([v, a], [1, 0], combine="product").fused.top1 == 0.0
    # a zero probability is floored at 1e-6, not -inf
    z = write_scores(v.parent / "z.npz", [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], LABELS, ["s0", "s1"])
    assert np.isfinite(fuse([z, a], combine="product").scores).all()


def test_the_verb_prints_every_input_and_the_fusion(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    v, a = files
    assert _main(["fuse", str(v), str(a)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["input", "weight", "top1", "mean_class_acc"]
    assert out[1].split()[1:] == ["1.00", "0.00", "0.00"] and out[1].split()[0].endswith("video.npz")
    # MMAction2's mean class accuracy averages over the classes in labels or predictions: the sum
    # predicts 1 and 3 for labels 0 and 3 -> classes 0, 1, 3 -> (0 + 0 + 1) / 3
    assert out[3].split() == ["fused", "2.00", "50.00", "33.33"]
    assert out[4] == "fused top-1: 50.00 % over 2 samples"
    assert _main(["fuse", str(v), str(a), "--product", "--json", "--out", str(v.parent / "f.npz")]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["combine"] == "product" and res["fused"]["top1"] == 1.0 and res["num_samples"] == 2
    assert [r["weight"] for r in res["inputs"]] == [1.0, 1.0]
    f = read_scores(v.parent / "f.npz")
    assert f.kind == "logit" and f.class_names == NAMES and f.sample_ids == ["s0", "s1"]
    assert f.scores.argmax(1).tolist() == LABELS


def test_refusals_are_one_line(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    v, a = files
    assert _main(["fuse", str(v), str(a), "--weights", "1"]) == 2
    assert capsys.readouterr().err == "error: 2 score sets but 1 weights\n"
    logits = write_scores(v.parent / "l.npz", [[2.0, -1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.0]], LABELS, ["s0", "s1"],
                          kind="logit")  # fmt: skip
    assert _main(["fuse", str(v), str(logits), "--product"]) == 2
    err = capsys.readouterr().err
    assert "l.npz: a product fusion needs probabilities" in err and err.count("\n") == 1
    assert _main(["fuse", str(v), str(logits), "--product", "--apply-softmax"]) == 0
    assert _main(["fuse", str(v), str(v.parent / "missing.npz")]) == 2
    assert "missing.npz: no such score file" in capsys.readouterr().err
    with pytest.raises(ScoreFileError, match="combine must be"):
        fuse([v, a], combine="max")  # type: ignore[arg-type]


def test_default_examples_parse() -> None:
    parser = argparse.ArgumentParser(prog="vidcore-x")
    p = FuseVerb("vidcore-x").add_parser(parser.add_subparsers(dest="verb"))
    lines = [ln.strip() for ln in p.epilog.splitlines()[1:]]
    assert len(lines) == 3
    for line in lines:
        words = shlex.split(line, comments=True)
        assert words[0] == "vidcore-x"
        assert parser.parse_args(words[1:]).verb == "fuse"


@pytest.mark.parametrize("task", ["audio", "recognition", "skeleton"])
def test_every_score_writing_cli_has_the_one_verb(task: str, files: tuple[Path, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    cli = pytest.importorskip(f"vidcore.{task}.cli")
    v, a = files
    assert cli.main(["fuse", str(v), str(a), "--product", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fused"]["top1"] == 1.0
    fuse_module = pytest.importorskip(f"vidcore.{task}.cli.fuse")
    assert fuse_module.run.__func__ is FuseVerb.run
