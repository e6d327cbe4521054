"""The build-list and check verbs of vidcore-data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vidcore.data.annotations as A
from vidcore.data.cli import main


def make_video(path: Path, num_frames: int, size: int = 32) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(num_frames):
            img = np.full((size, size, 3), 10 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("build-list", "check"):
        with pytest.raises(SystemExit) as info:
            main([verb, "--help"])
        assert info.value.code == 0
        assert f"vidcore-data {verb} " in capsys.readouterr().out


def test_build_list_from_tree_split_is_seeded_and_stratified(tmp_path: Path) -> None:
    tree = tmp_path / "videos"
    for cls in ("walk", "jump"):
        (tree / cls).mkdir(parents=True)
        for i in range(5):
            (tree / cls / f"{cls}{i}.mp4").write_bytes(b"x")
    (tree / "jump" / "notes.txt").write_text("not a video")
    out = tmp_path / "lists" / "train.txt"
    assert main(["build-list", str(tree), "--out", str(out), "--val-fraction", "0.4", "--seed", "3"]) == 0
    train = A.read_video_list(out)
    val = A.read_video_list(tmp_path / "lists" / "val.txt")
    assert A.read_label_map(tmp_path / "lists" / "label_map.txt").names == ["jump", "walk"]
    assert len(train) == 6 and len(val) == 4
    assert sorted(r.path for r in train + val) == sorted(
        f"{c}/{c}{i}.mp4" for c in ("walk", "jump") for i in range(5)
    )
    for r in train + val:
        assert r.label == ["jump", "walk"].index(r.path.split("/")[0])
    assert sorted(r.label for r in val) == [0, 0, 1, 1]  # 2 of the 5 of each class
    again = tmp_path / "again" / "train.txt"
    main(["build-list", str(tree), "--out", str(again), "--val-fraction", "0.4", "--seed", "3"])
    assert A.read_video_list(tmp_path / "again" / "val.txt") == val
    splits = set()
    for seed in range(8):
        o = tmp_path / f"s{seed}" / "train.txt"
        main(["build-list", str(tree), "--out", str(o), "--val-fraction", "0.4", "--seed", str(seed)])
        splits.add(tuple(r.path for r in A.read_video_list(o.parent / "val.txt")))
    assert len(splits) > 1


def test_build_list_rawframes_and_official_ucf101(tmp_path: Path) -> None:
    frames = tmp_path / "frames" / "run" / "clip1"
    frames.mkdir(parents=True)
    for i in range(1, 8):
        (frames / f"img_{i:05d}.jpg").write_bytes(b"")
    out = tmp_path / "rf_train.txt"
    assert main(["build-list", str(tmp_path / "frames"), "--format", "rawframes", "--out", str(out)]) == 0
    assert A.read_rawframe_list(out) == [A.RawframeRecord("run/clip1", 7, (0,))]

    split = tmp_path / "ucfTrainTestlist"
    split.mkdir()
    (split / "classInd.txt").write_text("1 Archery\n2 YoYo\n")
    (split / "trainlist02.txt").write_text("YoYo/v_YoYo_g08_c01.avi 2\n")
    (split / "testlist02.txt").write_text("Archery/v_Archery_g01_c01.avi\n")
    out = tmp_path / "ucf_train.txt"
    assert main(["build-list", str(split), "--official", "ucf101", "--split", "2", "--out", str(out)]) == 0
    assert [(r.path, r.label) for r in A.read_video_list(out)] == [("YoYo/v_YoYo_g08_c01.avi", 1)]
    assert [(r.path, r.label) for r in A.read_video_list(tmp_path / "ucf_val.txt")] == [
        ("Archery/v_Archery_g01_c01.avi", 0)
    ]
    (split / "trainlist02.txt").write_text("YoYo/v_YoYo_g08_c01.avi two\n")
    assert main(["build-list", str(split), "--official", "ucf101", "--split", "2", "--out", str(out)]) == 1


def test_check_video_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_video(tmp_path / "good.mp4", 6)
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00garbage" * 50)
    (tmp_path / "labels.txt").write_text("a\nb\nc\n")
    good = tmp_path / "good.txt"
    good.write_text("good.mp4 2\n")
    assert (
        main(
            [
                "check",
                str(good),
                "--root",
                str(tmp_path),
                "--label-map",
                str(tmp_path / "labels.txt"),
                "--no-progress",
            ]
        )
        == 0
    )
    assert "1 record(s) OK" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text("good.mp4 1\nmissing.mp4 0\ncorrupt.mp4 0\ngood.mp4 3\n")
    assert (
        main(
            [
                "check",
                str(bad),
                "--root",
                str(tmp_path),
                "--label-map",
                str(tmp_path / "labels.txt"),
                "--no-progress",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert f"{bad}:2: " in out and "missing.mp4" in out and "file not found" in out
    assert f"{bad}:3: " in out and "corrupt.mp4" in out
    assert f"{bad}:4: label 3 out of range: expected 0 <= label < 3" in out
    assert f"{bad}:1:" not in out and "3 problem(s) in 4 record(s)" in out
    broken = tmp_path / "broken.txt"
    broken.write_text("good.mp4 1\ngood.mp4 x\n")
    assert main(["check", str(broken), "--root", str(tmp_path), "--no-progress"]) == 1
    assert f"{broken}:2: expected an integer label, got 'x'" in capsys.readouterr().out


def test_check_rawframes_and_features(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    for name, n in (("c1", 4), ("c2", 3)):
        (tmp_path / name).mkdir()
        for i in range(1, n + 1):
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / name / f"img_{i:05d}.jpg")
    lst = tmp_path / "rf.txt"
    lst.write_text("c1 4 0\nc2 5 1\n")
    assert (
        main(["check", str(lst), "--root", str(tmp_path), "--no-progress"]) == 1
    )  # format guessed: rawframes
    out = capsys.readouterr().out
    assert (
        f"{lst}:2: " in out
        and "list says 5 frames (offset 0), the folder has 3" in out
        and f"{lst}:1:" not in out
    )

    np.save(tmp_path / "f.npy", np.zeros((10, 4), np.float32))
    feats = tmp_path / "feats.txt"
    feats.write_text("f 10 0\nf 12 0\n")
    assert main(["check", str(feats), "--root", str(tmp_path), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert f"{feats}:2: " in out and "list says 12 frames" in out and f"{feats}:1:" not in out


def test_build_list_official_hmdb_kinetics_sthv2(tmp_path: Path) -> None:
    import json

    hm = tmp_path / "hmdb"
    hm.mkdir()
    (hm / "wave_test_split1.txt").write_text("w1.avi 1\nw2.avi 2\n")
    (hm / "clap_test_split1.txt").write_text("c1.avi 1\n")
    assert main(["build-list", str(hm), "--official", "hmdb51", "--out", str(tmp_path / "hm_train.txt")]) == 0
    assert [(r.path, r.label) for r in A.read_video_list(tmp_path / "hm_train.txt")] == [
        ("clap/c1.avi", 0),
        ("wave/w1.avi", 1),
    ]
    assert [r.path for r in A.read_video_list(tmp_path / "hm_val.txt")] == ["wave/w2.avi"]

    (tmp_path / "k.csv").write_text("label,youtube_id,time_start,time_end,split\nyoga,q1,3,13,val\n")
    (tmp_path / "k400.txt").write_text("abseiling\nyoga\n")
    out = tmp_path / "k" / "k_val.txt"
    assert (
        main(
            [
                "build-list",
                str(tmp_path / "k.csv"),
                "--official",
                "kinetics",
                "--classes",
                str(tmp_path / "k400.txt"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert [(r.path, r.label) for r in A.read_video_list(out)] == [("yoga/q1_000003_000013.mp4", 1)]
    assert A.read_label_map(out.parent / "label_map.txt").names == ["abseiling", "yoga"]

    (tmp_path / "labels.json").write_text(json.dumps({"Pushing something": "0"}))
    (tmp_path / "val.json").write_text(
        json.dumps([{"id": "9", "template": "Pushing [something]", "label": "x", "placeholders": []}])
    )
    out = tmp_path / "s" / "sthv2_val.txt"
    assert (
        main(
            [
                "build-list",
                str(tmp_path / "val.json"),
                "--official",
                "sthv2",
                "--classes",
                str(tmp_path / "labels.json"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert [(r.path, r.label) for r in A.read_video_list(out)] == [("9.webm", 0)]


def test_check_ava_and_pose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pickle

    (tmp_path / "vidA").mkdir()
    csv = tmp_path / "ava.csv"
    csv.write_text("vidA,0902,0.1,0.1,0.5,0.5,3,0\nvidB,0902,0.1,0.1,0.5,0.5,90,0\n")
    assert main(["check", str(csv), "--root", str(tmp_path), "--num-classes", "81", "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert f"{csv}:2: label 90 out of range" in out and f"{csv}:2: no frame folder or video for vidB" in out
    assert "2 problem(s) in 2 record(s)" in out
    kp = np.zeros((1, 3, 17, 2), np.float32)
    ann = {
        "split": {},
        "annotations": [
            {"frame_dir": "a", "label": 1, "total_frames": 3, "keypoint": kp},
            {"frame_dir": "b", "label": 60, "total_frames": 3, "keypoint": kp},
        ],
    }
    (tmp_path / "pose.pkl").write_bytes(pickle.dumps(ann))
    assert main(["check", str(tmp_path / "pose.pkl"), "--num-classes", "60", "--no-progress"]) == 1
    assert f"{tmp_path / 'pose.pkl'}:1: label 60 out of range" in capsys.readouterr().out
