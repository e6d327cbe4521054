"""The vidcore-localization command line end to end on a tiny BMN and synthetic features: train,
test, infer, eval, convert, models."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from vidcore.localization.cli import main
from vidcore.localization.meta import ACTIVITYNET_TSN
from vidcore.localization.models.bmn import BMN, bm_valid_mask, boundary_matching_mask, convert_mmaction_bmn
from vidcore.localization.registry import PRESETS, register_preset

TINY = "bmn_tiny_cli_test"
if TINY not in PRESETS:

    @register_preset(replace(ACTIVITYNET_TSN, dataset="synthetic", temporal_scale=16, feat_dim=8,
                             convert_mmaction=convert_mmaction_bmn))  # fmt: skip
    def bmn_tiny_cli_test() -> BMN:
        return BMN(temporal_scale=16, feat_dim=8, num_samples=4, num_samples_per_bin=3, hidden_dim_1d=8,
                   hidden_dim_2d=4, hidden_dim_3d=8)  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("loc")
    (root / "feats").mkdir()
    rng = np.random.default_rng(0)
    ann = {}
    for i in range(6):
        t = 40
        s = int(rng.integers(2, 20))
        e = s + int(rng.integers(6, 16))
        feats = rng.normal(0, 0.1, (t, 8)).astype(np.float32)
        feats[s:e, :4] += 1.0
        np.savetxt(root / "feats" / f"v_{i}.csv", feats, delimiter=",", header=",".join(f"f{j}" for j in range(8)),
                   comments="")  # fmt: skip
        ann[f"v_{i}"] = {"duration_second": 20.0, "subset": "training" if i < 4 else "validation",
                         "annotations": [{"segment": [s / 2, e / 2], "label": "act"}]}  # fmt: skip
    (root / "ann.json").write_text(json.dumps(ann))
    (root / "exp.py").write_text(
        "from vidcore.core.trainer import OptimConfig, TrainerConfig\n"
        "from vidcore.localization.experiment import DataConfig, Experiment, ModelConfig\n"
        f"config = Experiment(model=ModelConfig('{TINY}'),\n"
        f"    data=DataConfig(annotations=r'{root / 'ann.json'}', feature_root=r'{root / 'feats'}'),\n"
        "    trainer=TrainerConfig(max_epochs=2, batch_size=2, num_workers=0, progress_bar=False, device='cpu',\n"
        "                          optim=OptimConfig(name='adamw', lr=1e-3)),\n"
        f"    work_dir=r'{root / 'run'}')\n"
    )
    return root


def test_train_test_infer_eval(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(data / "exp.py")]) == 0
    run = data / "run"
    assert (run / "config.json").is_file() and (run / "best.pth").is_file()
    capsys.readouterr()
    assert main(["test", str(run), "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for k in ("AR@1", "AR@5", "AR@10", "AR@100"):
        assert 0.0 <= res[k] <= 1.0
    assert 0.0 <= res["AUC"] <= 100.0 and "agnostic_average_mAP" in res
    assert main(["test", str(run)]) == 0
    text = capsys.readouterr().out
    assert "AR@100" in text and "AUC" in text and "tIoU" in text
    out = data / "results.json"
    feats = [str(data / "feats" / f"v_{i}.csv") for i in (4, 5)]
    assert main(["infer", *feats, "--preset", TINY, "--checkpoint", str(run / "best.pth"),
                 "--annotations", str(data / "ann.json"), "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "v_4:" in printed and "score" in printed
    written = json.loads(out.read_text())["results"]
    assert set(written) == {"v_4", "v_5"} and all(0 <= s["segment"][0] <= s["segment"][1] <= 20.0 for s in written["v_4"])
    # the validation proposals written by infer, scored by `eval`, give test's AR@AN: same
    # checkpoint, same post-processing, same ground truth
    assert main(["eval", str(data / "ann.json"), str(out), "--subset", "validation", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["AUC"] == pytest.approx(res["AUC"], abs=1e-9)
    assert ev["AR@100"] == pytest.approx(res["AR@100"], abs=1e-12)


def test_infer_needs_a_checkpoint_or_random_weights(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feat = str(data / "feats" / "v_4.csv")
    assert main(["infer", feat, "--preset", TINY]) == 2  # no silent random initialisation
    assert "--random-weights" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: the two are exclusive
        main(["infer", feat, "--preset", TINY, "--checkpoint", "x.pth", "--random-weights"])
    capsys.readouterr()
    assert main(["infer", feat, "--preset", TINY, "--random-weights", "--duration", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("warning: --random-weights") and "v_4:" in out
    assert main(["infer", feat, "--preset", TINY, "--random-weights", "--json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)
    assert row["video"] == "v_4" and row["random_weights"] is True and "warning" in captured.err
    from vidcore.localization.inference import load_localizer

    with pytest.raises(ValueError, match="random_weights=True"):
        load_localizer(TINY, None)


def test_convert_mmaction_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    sd = bmn_tiny_cli_test().state_dict()
    sd["bm_mask"] = bm_valid_mask(16)
    sd["sample_mask"] = torch.from_numpy(boundary_matching_mask(16, 4, 3, 0.5)).view(16, -1)
    torch.save({"meta": {}, "state_dict": sd}, tmp_path / "mm.pth")
    assert main(["convert", "mmaction", str(tmp_path / "mm.pth"), str(tmp_path / "ours.pth"), "--preset", TINY]) == 0
    sd["x_1d_s.2.weight"] = sd["x_1d_s.2.weight"][:, :3]
    torch.save({"state_dict": sd}, tmp_path / "bad.pth")
    assert main(["convert", "mmaction", str(tmp_path / "bad.pth"), str(tmp_path / "x.pth"), "--preset", TINY]) == 1
    assert "shape mismatch" in capsys.readouterr().err


def test_models_lists_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "bsn_tem_400", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["params"] == 1_403_395 and row["input"] == "400x100"


def test_shipped_configs_load(capsys: pytest.CaptureFixture[str]) -> None:
    from vidcore.core.experiment import load_experiment
    from vidcore.localization.configs import list_configs
    from vidcore.localization.experiment import TASK, Experiment

    names = list_configs()
    assert "bmn_400x100_9e_activitynet_feature" in names
    for name in names:
        exp = load_experiment(TASK, name, ["trainer.max_epochs=1"])
        assert isinstance(exp, Experiment) and exp.trainer.max_epochs == 1
    assert main(["train", "--list-configs"]) == 0
    assert "bmn_400x100_9e_activitynet_feature" in capsys.readouterr().out


def test_public_api_names_resolve() -> None:
    import vidcore.localization as loc

    for name in loc.__all__:
        assert getattr(loc, name) is not None
