"""``vidcore-data build-list --official ava | ava-kinetics | omnisource-images | omnisource-videos``:
small hand-written samples in the published layouts, converted and compared with the lists
written out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidcore.data.cli import main


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def build(*argv: str | Path) -> int:
    return main(["build-list", *(str(a) for a in argv)])


def test_help_names_the_official_files(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build-list", "--help"])
    text = capsys.readouterr().out
    for name in ("ava_train_v2.2.csv", "ava_val_v2.2.csv", "ava_action_list_v2.2_for_activitynet_2019.pbtxt",
                 "kinetics_train_v1.0.csv", "--kinetics-list", "omnisource-images", "omnisource-videos",
                 "k200_actions.txt", "trim_raw_video.py"):  # fmt: skip
        assert name in text, name


# AVA box csv rows: video_id,timestamp,x1,y1,x2,y2,action_id,person_id (one row per action of a box)
AVA_TRAIN = (
    "-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,80,1\n"
    "-5KQ66BBWC4,0902,0.077,0.151,0.283,0.811,9,1\n"
    "-5KQ66BBWC4,0903,0.226,0.032,0.366,0.497,12,0\n"
    "1j20qq1JyX4,0905,0.100,0.200,0.500,0.900,17,3\n"
    "-5KQ66BBWC4,0904,0.226,0.032,0.366,0.497,80,0\n"
)
AVA_VAL = "1j20qq1JyX4,1001,0.100,0.200,0.500,0.900,9,0\n"
# the 60-class map of the ActivityNet challenge: 'item { name id }', ids with gaps
AVA_PBTXT = (
    'item {\n  name: "bend/bow (at the waist)"\n  id: 1\n}\n'
    'item {\n  name: "lie/sleep"\n  id: 9\n}\n'
    'item {\n  name: "stand"\n  id: 12\n}\n'
    'item {\n  name: "carry/hold (an object)"\n  id: 17\n}\n'
    'item {\n  name: "watch (a person)"\n  id: 80\n}\n'
)


def test_ava_one_multi_label_line_per_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = write(tmp_path / "ava_train_v2.2.csv", AVA_TRAIN)
    val = write(tmp_path / "ava_val_v2.2.csv", AVA_VAL)
    pbtxt = write(tmp_path / "ava_action_list_v2.2_for_activitynet_2019.pbtxt", AVA_PBTXT)
    out = tmp_path / "ava_train.txt"
    assert build(train, "--official", "ava", "--val-source", val, "--classes", pbtxt, "--out", out) == 0
    # classes = action_id - 1: 9 -> 8, 12 -> 11, 80 -> 79; 17 -> 16
    assert lines(out) == ["-5KQ66BBWC4 8 11 79", "1j20qq1JyX4 16"]
    assert lines(tmp_path / "ava_val.txt") == ["1j20qq1JyX4 8"]
    names = lines(tmp_path / "label_map.txt")
    assert len(names) == 80
    assert names[0] == "bend/bow (at the waist)" and names[8] == "lie/sleep" and names[79] == "watch (a person)"
    assert names[1] == "action_2"  # an id the 60-class map leaves out
    assert build(train, "--official", "ava", "--ext", ".mkv", "--out", out) == 0
    assert lines(out) == ["-5KQ66BBWC4.mkv 8 11 79", "1j20qq1JyX4.mkv 16"]
    write(train, AVA_TRAIN + "1j20qq1JyX4,0906,0.1,0.2,0.5,0.9,2,3\n")  # id 2 is not in the map
    assert build(train, "--official", "ava", "--classes", pbtxt, "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{train}:6" in msg and "action_id 2 not in the label map" in msg


# AVA-Kinetics: the Kinetics part's csv (timestamps in seconds of the YouTube video, 7 columns)
AVA_KINETICS = (
    "abc_def-123,13,0.1,0.1,0.6,0.9,12\n"
    "abc_def-123,15,0.1,0.1,0.6,0.9,80\n"
    "xyz,40,0.2,0.1,0.7,0.9,9\n"
    "xyz,58,0.2,0.1,0.7,0.9,17\n"
    "notinlist,5,0.2,0.1,0.7,0.9,9\n"
)
# Kinetics-700 list: label folder/{youtube_id}_{start:06d}_{end:06d}.mp4 label
K700_LIST = (
    "dancing/abc_def-123_000010_000020.mp4 3\n"
    "running/xyz_000035_000045.mp4 5\n"
    "running/xyz_000050_000060.mp4 5\n"
    "running/xyz_000052_000059.mp4 5\n"  # lies inside the clip above once both are trimmed: dropped
    "jumping/xyz_000100_000110.mp4 7\n"  # no annotated second inside: not listed
)


def test_ava_kinetics_clips_as_cut_kinetics_cuts_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = write(tmp_path / "kinetics_train_v1.0.csv", AVA_KINETICS)
    klist = write(tmp_path / "k700_train.txt", K700_LIST)
    out = tmp_path / "ava_kinetics_train.txt"
    assert build(csv, "--official", "ava-kinetics", "--kinetics-list", klist, "--out", out) == 0
    # abc: seconds 13, 15 inside (10, 20) -> max(10, 11), min(20, 17); actions 12, 80 -> 11, 79
    # xyz (35, 45): second 40 -> (38, 42), action 9 -> 8
    # xyz (50, 60) -> 58 -> (56, 60); (52, 59) -> 58 -> (56, 59), inside (56, 60): dropped
    assert lines(out) == [
        "abc_def-123_000011_000017.mp4 11 79",
        "xyz_000038_000042.mp4 8",
        "xyz_000056_000060.mp4 16",
    ]
    assert len(lines(tmp_path / "label_map.txt")) == 80
    with pytest.raises(SystemExit, match="needs --kinetics-list"):
        build(csv, "--official", "ava-kinetics", "--out", out)
    write(klist, K700_LIST + "running/badname.mp4 5\n")
    assert build(csv, "--official", "ava-kinetics", "--kinetics-list", klist, "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{klist}:6" in msg and "'badname'" in msg


def test_omnisource_web_images_and_videos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classes = write(tmp_path / "k200_actions.txt", "abseiling\nair drumming\narchery\n")
    images = tmp_path / "googleimage_200"
    for rel in ("archery/0001.jpg", "archery/0000.png", "air_drumming/a.jpeg", "abseiling/x.jpg", "abseiling/notes.txt"):
        write(images / rel, "x")
    out = tmp_path / "web_image_train.txt"
    assert build(images, "--official", "omnisource-images", "--classes", classes, "--out", out) == 0
    assert lines(out) == ["abseiling/x.jpg 0", "air_drumming/a.jpeg 1", "archery/0000.png 2", "archery/0001.jpg 2"]
    assert lines(tmp_path / "label_map.txt") == ["abseiling", "air drumming", "archery"]

    videos = tmp_path / "insvideo_200"
    for rel in ("archery/v1/part_0.mp4", "archery/v1/part_1.mp4", "abseiling/clip.webm", "abseiling/cover.jpg"):
        write(videos / rel, "x")
    out = tmp_path / "web_video_train.txt"
    assert build(videos, "--official", "omnisource-videos", "--classes", classes, "--out", out) == 0
    assert lines(out) == ["abseiling/clip.webm 0", "archery/v1/part_0.mp4 2", "archery/v1/part_1.mp4 2"]

    write(images / "yoga/1.jpg", "x")  # a folder that names no class of the target dataset
    assert build(images, "--official", "omnisource-images", "--classes", classes, "--out", out) == 1
    assert "class folder 'yoga' is not a class of" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="needs --classes"):
        build(images, "--official", "omnisource-images", "--out", out)
