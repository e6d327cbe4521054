"""``vidcore-data build-list --official``: each zoo dataset's official annotation files (small
hand-written samples in the published layouts) converted to MMAction2 lists, compared with the
lists written out by hand."""

from __future__ import annotations

import json
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
    with pytest.raises(SystemExit) as info:
        main(["build-list", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for name in (
        "kinetics_train.csv",
        "something-something-v1-labels.csv",
        "jester-v1-labels.csv",
        "Diving48_V2_train.json",
        "Diving48_vocab.json",
        "moments_categories.txt",
        "trainingSet.csv",
    ):
        assert name in text, name


# Kinetics-400/600/700: the csv of the official release (the test csv has no label column).
K_TRAIN = """label,youtube_id,time_start,time_end,split
abseiling,--07WQ2iBlw,1,11,train
"air drumming",-0ED0Vx3Z8c,30,40,train
abseiling,-3B32lodo2M,59.0,69.0,train
"""
K_VAL = """label,youtube_id,time_start,time_end,split
"air drumming",0AFBNQ-dsDU,4,14,val
"""


def test_kinetics_train_and_val(tmp_path: Path) -> None:
    for official in ("kinetics400", "kinetics700"):
        out = tmp_path / official / "k_train.txt"
        args = [write(tmp_path / "kinetics_train.csv", K_TRAIN), "--official", official]
        assert build(*args, "--val-source", write(tmp_path / "kinetics_val.csv", K_VAL), "--out", out) == 0
        assert lines(out) == [
            "abseiling/--07WQ2iBlw_000001_000011.mp4 0",
            "air_drumming/-0ED0Vx3Z8c_000030_000040.mp4 1",
            "abseiling/-3B32lodo2M_000059_000069.mp4 0",
        ]
        assert lines(tmp_path / official / "k_val.txt") == ["air_drumming/0AFBNQ-dsDU_000004_000014.mp4 1"]
        assert lines(tmp_path / official / "label_map.txt") == ["abseiling", "air drumming"]


def test_kinetics_test_csv_and_bad_lines(tmp_path: Path, capsys) -> None:
    train = write(tmp_path / "kinetics_train.csv", K_TRAIN)
    out = tmp_path / "k_train.txt"
    # the test csv: without a label column, or with it empty -> unlabeled clips, no class folder
    for text in (
        "youtube_id,time_start,time_end,split\n-0ED0Vx3Z8c,30,40,test\n",
        "label,youtube_id,time_start,time_end,split\n,-0ED0Vx3Z8c,30,40,test\n",
    ):
        test = write(tmp_path / "kinetics_test.csv", text)
        assert build(train, "--official", "kinetics", "--val-source", test, "--out", out) == 0
        assert lines(tmp_path / "k_val.txt") == ["-0ED0Vx3Z8c_000030_000040.mp4"]
    write(train, K_TRAIN + "abseiling,abc,ten,20,train\n")
    assert build(train, "--official", "kinetics", "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{train}:5" in msg and "expected a number time_start (seconds), got 'ten'" in msg
    write(train, K_TRAIN + "abseiling,abc,10,train\n")
    assert build(train, "--official", "kinetics", "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{train}:5" in msg and "expected 5 columns" in msg


def test_kinetics_rawframes_count_frames_and_leave_out_missing(tmp_path: Path, capsys) -> None:
    frames = tmp_path / "rawframes"
    for name, n in (("abseiling/--07WQ2iBlw_000001_000011", 3), ("abseiling/-3B32lodo2M_000059_000069", 2)):
        for i in range(n):
            write(frames / name / f"img_{i + 1:05d}.jpg", "x")
    out = tmp_path / "k_train_rawframes.txt"
    src = write(tmp_path / "kinetics_train.csv", K_TRAIN)
    args = ["--official", "kinetics", "--format", "rawframes", "--media-root", frames, "--out", out]
    assert build(src, *args) == 0
    assert lines(out) == [
        "abseiling/--07WQ2iBlw_000001_000011 3 0",
        "abseiling/-3B32lodo2M_000059_000069 2 0",
    ]
    assert "left out 1 clips" in capsys.readouterr().out
    # rawframes without a frame root is refused
    with pytest.raises(SystemExit, match="--media-root"):
        build(src, "--official", "kinetics", "--format", "rawframes", "--out", out)


# Something-Something V1 and Jester: labels csv (one name a line), split csv 'id;class'.
STHV1_LABELS = "Holding something\nPushing something from left to right\nTearing something into two pieces\n"
STHV1_TRAIN = "100218;Tearing something into two pieces\n48032;Holding something\n"
STHV1_VAL = "9223;Pushing something from left to right\n"
JESTER_LABELS = "Doing other things\nDrumming Fingers\nNo gesture\n"
JESTER_TRAIN = "34870;Drumming Fingers\n56557;No gesture\n129112;Doing other things\n"
JESTER_VAL = "9223;Drumming Fingers\n"


@pytest.mark.parametrize(
    ("official", "labels", "train_csv", "val_csv", "expected_train", "expected_val"),
    [
        (
            "sthv1",
            STHV1_LABELS,
            STHV1_TRAIN,
            STHV1_VAL,
            ["100218.mp4 2", "48032.mp4 0"],
            ["9223.mp4 1"],
        ),
        (
            "jester",
            JESTER_LABELS,
            JESTER_TRAIN,
            JESTER_VAL,
            ["34870.mp4 1", "56557.mp4 2", "129112.mp4 0"],
            ["9223.mp4 1"],
        ),
    ],
)
def test_sthv1_and_jester(
    tmp_path: Path, official, labels, train_csv, val_csv, expected_train, expected_val
) -> None:
    classes = write(tmp_path / "labels.csv", labels)
    train = write(tmp_path / "train.csv", train_csv)
    val = write(tmp_path / "validation.csv", val_csv)
    out = tmp_path / "lists" / f"{official}_train.txt"
    assert build(train, "--official", official, "--classes", classes, "--val-source", val, "--out", out) == 0
    assert lines(out) == expected_train
    assert lines(tmp_path / "lists" / f"{official}_val.txt") == expected_val
    assert lines(tmp_path / "lists" / "label_map.txt") == labels.splitlines()


def test_sthv1_rawframes(tmp_path: Path) -> None:
    frames = tmp_path / "rawframes"
    for vid, n in (("100218", 4), ("48032", 1), ("9223", 2)):
        for i in range(n):
            write(frames / vid / f"{i + 1:05d}.jpg", "x")
    classes = write(tmp_path / "labels.csv", STHV1_LABELS)
    out = tmp_path / "sthv1_train_rawframes.txt"
    args = ["--official", "sthv1", "--classes", classes, "--val-source", write(tmp_path / "v.csv", STHV1_VAL)]
    args += ["--format", "rawframes", "--media-root", frames, "--out", out]
    assert build(write(tmp_path / "t.csv", STHV1_TRAIN), *args) == 0
    assert lines(out) == ["100218 4 2", "48032 1 0"]
    assert lines(tmp_path / "sthv1_val_rawframes.txt") == ["9223 2 1"]


def test_sthv1_bad_lines_name_file_and_line(tmp_path: Path, capsys) -> None:
    classes = write(tmp_path / "labels.csv", STHV1_LABELS)
    bad = write(tmp_path / "train.csv", "100218;Holding something\n48032;Juggling something\n")
    assert build(bad, "--official", "sthv1", "--classes", classes, "--out", tmp_path / "o.txt") == 1
    msg = capsys.readouterr().out
    assert f"{bad}:2" in msg and "'Juggling something' is not in the labels file" in msg
    bad.write_text("100218 Holding something\n")
    assert build(bad, "--official", "sthv1", "--classes", classes, "--out", tmp_path / "o.txt") == 1
    msg = capsys.readouterr().out
    assert f"{bad}:1" in msg and "expected 'id;class name'" in msg
    with pytest.raises(SystemExit, match=r"--classes something-something-v1-labels\.csv"):
        build(bad, "--official", "sthv1", "--out", tmp_path / "o.txt")


# Diving48: JSON lists of {vid_name, label, start_frame, end_frame}; the vocab names the classes.
D48_VOCAB = [
    ["Back", "15som", "05Twis", "FREE"],
    ["Back", "15som", "15Twis", "FREE"],
    ["Forward", "25som", "NoTwis", "PIKE"],
]
D48_TRAIN = [
    {"vid_name": "-mmq0PT-u8k_00155", "label": 2, "start_frame": 0, "end_frame": 51},
    {"vid_name": "-mmq0PT-u8k_00156", "label": 0, "start_frame": 0, "end_frame": 79},
]
D48_TEST = [{"vid_name": "0ar_9eALhTo_00001", "label": 1, "start_frame": 0, "end_frame": 60}]


def test_diving48(tmp_path: Path, capsys) -> None:
    vocab = write(tmp_path / "Diving48_vocab.json", json.dumps(D48_VOCAB))
    train = write(tmp_path / "Diving48_V2_train.json", json.dumps(D48_TRAIN))
    test = write(tmp_path / "Diving48_V2_test.json", json.dumps(D48_TEST))
    out = tmp_path / "diving48_train.txt"
    assert build(train, "--official", "diving48", "--classes", vocab, "--val-source", test, "--out", out) == 0
    assert lines(out) == ["-mmq0PT-u8k_00155.mp4 2", "-mmq0PT-u8k_00156.mp4 0"]
    assert lines(tmp_path / "diving48_val.txt") == ["0ar_9eALhTo_00001.mp4 1"]
    assert lines(tmp_path / "label_map.txt") == [
        "Back_15som_05Twis_FREE",
        "Back_15som_15Twis_FREE",
        "Forward_25som_NoTwis_PIKE",
    ]
    # a label past the vocab, and a missing label, are errors naming the item
    write(train, json.dumps([*D48_TRAIN, {"vid_name": "x_00001", "label": 3}]))
    assert build(train, "--official", "diving48", "--classes", vocab, "--out", out) == 1
    assert "item 2 (x_00001): label 3 >= 3 classes" in capsys.readouterr().out
    write(train, json.dumps([{"vid_name": "x_00001"}]))
    assert build(train, "--official", "diving48", "--out", out) == 1
    assert "item 0 (x_00001): expected an integer label" in capsys.readouterr().out


# Moments in Time: categories 'name,id'; split rows 'class/video.mp4,class,agree,disagree'.
MIT_CATEGORIES = "adult+female+singing,1\napplauding,2\narresting,0\n"
MIT_TRAIN = (
    "applauding/yt-0AAYq0v2Rqo_12.mp4,applauding,3,0\n"
    "arresting/getty-police-arrest-video-id1234_1.mp4,arresting,2,1\n"
)
MIT_VAL = "adult+female+singing/flickr-4-1-9-6-2949796141_12.mp4,adult+female+singing,3,0\n"


def test_mit(tmp_path: Path) -> None:
    cats = write(tmp_path / "moments_categories.txt", MIT_CATEGORIES)
    train = write(tmp_path / "trainingSet.csv", MIT_TRAIN)
    val = write(tmp_path / "validationSet.csv", MIT_VAL)
    out = tmp_path / "mit_train.txt"
    assert build(train, "--official", "mit", "--classes", cats, "--val-source", val, "--out", out) == 0
    assert lines(out) == [
        "applauding/yt-0AAYq0v2Rqo_12.mp4 2",
        "arresting/getty-police-arrest-video-id1234_1.mp4 0",
    ]
    assert lines(tmp_path / "mit_val.txt") == ["adult+female+singing/flickr-4-1-9-6-2949796141_12.mp4 1"]
    assert lines(tmp_path / "label_map.txt") == ["arresting", "adult+female+singing", "applauding"]


def test_mit_bad_lines(tmp_path: Path, capsys) -> None:
    cats = write(tmp_path / "moments_categories.txt", MIT_CATEGORIES)
    train = write(tmp_path / "trainingSet.csv", MIT_TRAIN + "dancing/yt-xyz_3.mp4,dancing,3,0\n")
    assert build(train, "--official", "mit", "--classes", cats, "--out", tmp_path / "o.txt") == 1
    assert f"{train}:3" in capsys.readouterr().out
    bad_cats = write(tmp_path / "cats.txt", "arresting,0\napplauding\n")
    assert build(train, "--official", "mit", "--classes", bad_cats, "--out", tmp_path / "o.txt") == 1
    msg = capsys.readouterr().out
    assert f"{bad_cats}:2" in msg and "expected 'name,id'" in msg


# Multi-Moments in Time: rows 'class/video.mp4,id,id,...' (every id a label).
MMIT_TRAIN = "applauding/yt-0AAYq0v2Rqo_12.mp4,2,0\narresting/yt-abc_1.mp4,0\n"
MMIT_VAL = "singing/yt-def_7.mp4,1,2,0\n"


def test_mmit_multi_label(tmp_path: Path, capsys) -> None:
    cats = write(tmp_path / "moments_categories.txt", MIT_CATEGORIES)
    train = write(tmp_path / "trainingSet.csv", MMIT_TRAIN)
    val = write(tmp_path / "validationSet.csv", MMIT_VAL)
    out = tmp_path / "mmit_train.txt"
    assert build(train, "--official", "mmit", "--classes", cats, "--val-source", val, "--out", out) == 0
    assert lines(out) == ["applauding/yt-0AAYq0v2Rqo_12.mp4 2 0", "arresting/yt-abc_1.mp4 0"]
    assert lines(tmp_path / "mmit_val.txt") == ["singing/yt-def_7.mp4 1 2 0"]
    # the list reads back as multi-label with our reader
    from vidcore.data.annotations import read_video_list

    assert [r.labels for r in read_video_list(out, multi_label=True)] == [(2, 0), (0,)]
    write(val, "singing/yt-def_7.mp4,1,3\n")
    assert build(train, "--official", "mmit", "--classes", cats, "--val-source", val, "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{val}:1" in msg and "class id 3 >= 3 classes" in msg


# HVU: categories csv 'tag,category' (header), split csv 'tags,youtube_id,time_start,time_end'.
HVU_CATEGORIES = """Tags,Category
skiing,action
snow,scene
mountain,scene
alpine skiing,action
ski,object
"""
HVU_TRAIN = """Tags,youtube_id,time_start,time_end
snow|skiing|mountain|ski,--0ZjGbBuHg,0,10
ski|snow,-1Ob8K6M-XY,12.5,22.5
alpine skiing|skiing,0-5ugsNU5Ss,3,13
"""


def test_hvu_lists_per_category(tmp_path: Path, capsys) -> None:
    cats = write(tmp_path / "hvu_categories.csv", HVU_CATEGORIES)
    train = write(tmp_path / "hvu_train.csv", HVU_TRAIN)
    out = tmp_path / "hvu_action_train.txt"
    assert build(train, "--official", "hvu", "--classes", cats, "--category", "action", "--out", out) == 0
    # action tags sorted: alpine skiing (0), skiing (1); the 2nd clip has none and is left out
    assert lines(out) == ["--0ZjGbBuHg_000000_000100.mp4 1", "0-5ugsNU5Ss_000030_000130.mp4 0 1"]
    assert lines(tmp_path / "label_map.txt") == ["alpine skiing", "skiing"]
    out = tmp_path / "hvu_scene_train.txt"
    assert build(train, "--official", "hvu", "--classes", cats, "--category", "scene", "--out", out) == 0
    # scene tags sorted: mountain (0), snow (1)
    assert lines(out) == ["--0ZjGbBuHg_000000_000100.mp4 1 0", "-1Ob8K6M-XY_000125_000225.mp4 1"]
    assert lines(tmp_path / "label_map.txt") == ["mountain", "snow"]
    write(train, HVU_TRAIN + "snow|sledding,abc,0,10\n")
    assert build(train, "--official", "hvu", "--classes", cats, "--category", "scene", "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{train}:5" in msg and "tag 'sledding' is not in the categories file" in msg
    with pytest.raises(SystemExit, match="needs --category"):
        build(train, "--official", "hvu", "--classes", cats, "--out", out)


# FineGYM: element split files '{subaction} {label}', categories 'Clabel: N; set: S; Glabel: G; name'.
GYM_CATEGORIES = (
    "Clabel: 0; set: 1; Glabel: 1; (VT) round-off, flic-flac with 0.5 turn on, stretched salto forward\n"
    "Clabel: 1; set: 1; Glabel: 19; (VT) round-off, flic-flac on, stretched salto backward with 1 turn off\n"
    "Clabel: 2; set: 21; Glabel: 21; (FX) switch leap with 0.5 turn\n"
)
GYM_TRAIN = "A0xAXXysHUo_002184_002237_A_0003_0005 2\nA0xAXXysHUo_002184_002237_A_0006_0008 0\n"
GYM_VAL = "zcjAKc2RbSw_000931_000992_A_0001_0003 1\n"


def test_finegym_elements(tmp_path: Path, capsys) -> None:
    cats = write(tmp_path / "gym99_categories.txt", GYM_CATEGORIES)
    train = write(tmp_path / "gym99_train_element_v1.0.txt", GYM_TRAIN)
    val = write(tmp_path / "gym99_val_element.txt", GYM_VAL)
    out = tmp_path / "gym99_train.txt"
    assert build(train, "--official", "gym", "--classes", cats, "--val-source", val, "--out", out) == 0
    assert lines(out) == [
        "A0xAXXysHUo_002184_002237_A_0003_0005.mp4 2",
        "A0xAXXysHUo_002184_002237_A_0006_0008.mp4 0",
    ]
    assert lines(tmp_path / "gym99_val.txt") == ["zcjAKc2RbSw_000931_000992_A_0001_0003.mp4 1"]
    assert lines(tmp_path / "label_map.txt")[2] == "(FX) switch leap with 0.5 turn"
    # rawframes: rgb frames counted, flow images (as MMAction2's extractor writes them) are not
    frames = tmp_path / "subaction_frames"
    for name in ("img_00001.jpg", "img_00002.jpg", "flow_x_00001.jpg", "flow_y_00001.jpg"):
        write(frames / "zcjAKc2RbSw_000931_000992_A_0001_0003" / name, "x")
    args = ["--val-source", val, "--format", "rawframes", "--media-root", frames]
    assert build(train, "--official", "gym", *args, "--out", tmp_path / "gym_train_frame.txt") == 0
    assert lines(tmp_path / "gym_train_frame.txt") == []
    assert lines(tmp_path / "gym_val_frame.txt") == ["zcjAKc2RbSw_000931_000992_A_0001_0003 2 1"]
    write(val, "zcjAKc2RbSw_000931_000992_A_0001_0003 3\n")
    assert build(train, "--official", "gym", "--classes", cats, "--val-source", val, "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{val}:1" in msg and "label 3 >= 3 classes" in msg


# THUMOS14: one '<Class>_val.txt' per class ('video start end'), plus Ambiguous_val.txt.
def test_thumos14_untrimmed_multi_label(tmp_path: Path, capsys) -> None:
    val_dir, test_dir = tmp_path / "annotations_val", tmp_path / "annotations_test"
    baseball = "video_validation_0000266 72.8 76.4\nvideo_validation_0000051 1 3.5\n"
    write(val_dir / "BaseballPitch_val.txt", baseball)
    write(val_dir / "CliffDiving_val.txt", "video_validation_0000051 67.5 75.9\n")
    write(val_dir / "Ambiguous_val.txt", "video_validation_0000900 10.0 12.0\n")
    write(test_dir / "BaseballPitch_test.txt", "video_test_0000004 0.2 1.1\n")
    write(test_dir / "CliffDiving_test.txt", "video_test_0000004 5.0 8.0\nvideo_test_0000001 1.5 2.0\n")
    out = tmp_path / "thumos14_train.txt"
    assert build(val_dir, "--official", "thumos14", "--val-source", test_dir, "--out", out) == 0
    assert lines(out) == ["video_validation_0000051.mp4 0 1", "video_validation_0000266.mp4 0"]
    assert lines(tmp_path / "thumos14_val.txt") == ["video_test_0000001.mp4 1", "video_test_0000004.mp4 0 1"]
    assert lines(tmp_path / "label_map.txt") == ["BaseballPitch", "CliffDiving"]
    write(val_dir / "CliffDiving_val.txt", "video_validation_0000051 67.5 75.9\nvideo_validation_000052 9\n")
    assert build(val_dir, "--official", "thumos14", "--out", out) == 1
    msg = capsys.readouterr().out
    assert f"{val_dir / 'CliffDiving_val.txt'}:2" in msg and "expected 'video start end'" in msg


# ActivityNet: the official activity_net.v1-3.min.json.
ANET = {
    "version": "VERSION 1.3",
    "taxonomy": [],
    "database": {
        "sJFgo9H6zNo": {
            "duration": 139.042,
            "subset": "training",
            "resolution": "640x360",
            "url": "https://www.youtube.com/watch?v=sJFgo9H6zNo",
            "annotations": [
                {"segment": [0.01, 123.42], "label": "Fun sliding down"},
                {"segment": [125.0, 130.0], "label": "Beach soccer"},
            ],
        },
        "V1zhqaGFY2A": {
            "duration": 136.98,
            "subset": "validation",
            "resolution": "640x360",
            "url": "https://www.youtube.com/watch?v=V1zhqaGFY2A",
            "annotations": [{"segment": [16.9, 103.1], "label": "Beach soccer"}],
        },
        "xyz00000000": {"duration": 50.0, "subset": "testing", "annotations": []},
    },
}


def test_activitynet_subsets(tmp_path: Path) -> None:
    src = write(tmp_path / "activity_net.v1-3.min.json", json.dumps(ANET))
    out = tmp_path / "anet_train.txt"
    assert build(src, "--official", "activitynet", "--out", out) == 0
    assert lines(out) == ["v_sJFgo9H6zNo.mp4 0 1"]
    assert lines(tmp_path / "anet_val.txt") == ["v_V1zhqaGFY2A.mp4 0"]
    assert lines(tmp_path / "label_map.txt") == ["Beach soccer", "Fun sliding down"]


def _mmaction_parsers():
    """MMAction2's own ``tools/data/parse_file_list.py`` (standard library only), loaded from the
    installed package's ``.mim`` folder; skips when MMAction2 is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("mmaction")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("MMAction2 is not installed: its list parsers cannot be compared")
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / ".mim" / "tools" / "data" / "parse_file_list.py"
    if not path.is_file():
        pytest.skip(f"MMAction2's parse_file_list.py not found at {path}")
    module_spec = importlib.util.spec_from_file_location("mm_parse_file_list", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_same_pairs_as_mmaction2_parsers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The (clip, label) pairs MMAction2's parsers read from the same samples equal ours (frame
    folder names, ``ext=""``), dataset by dataset."""
    from vidcore.data.annotations import read_kinetics_csv, zoo

    mm = _mmaction_parsers()
    monkeypatch.chdir(tmp_path)
    ann = Path("data")
    for ds, labels, train, val in (
        ("sthv1", STHV1_LABELS, STHV1_TRAIN, STHV1_VAL),
        ("jester", JESTER_LABELS, JESTER_TRAIN, JESTER_VAL),
    ):
        stem = "something-something-v1" if ds == "sthv1" else "jester-v1"
        d = ann / ds / "annotations"
        write(d / f"{stem}-labels.csv", labels)
        write(d / f"{stem}-train.csv", train)
        write(d / f"{stem}-validation.csv", val)
        write(d / f"{stem}-test.csv", "1420\n")
        parse = mm.parse_sthv1_splits if ds == "sthv1" else mm.parse_jester_splits
        (mm_train, mm_val, _), = parse(1)
        lm = zoo.read_class_lines(d / f"{stem}-labels.csv")
        for ours, theirs in ((d / f"{stem}-train.csv", mm_train), (d / f"{stem}-validation.csv", mm_val)):
            assert [(r.path, r.label) for r in zoo.read_semicolon_csv(ours, lm)] == theirs, ds

    d = ann / "kinetics400" / "annotations"
    write(d / "kinetics_train.csv", K_TRAIN)
    write(d / "kinetics_val.csv", K_VAL)
    write(d / "kinetics_test.csv", "label,youtube_id,time_start,time_end,split\n,xyz,0,10,test\n")
    (mm_train, mm_val, _), = mm.parse_kinetics_splits(2, "kinetics400")
    train, lm = read_kinetics_csv(d / "kinetics_train.csv", ext="", folder_space="_")
    val, _ = read_kinetics_csv(d / "kinetics_val.csv", label_map=lm, ext="", folder_space="_")
    assert [(r.path, r.label) for r in train] == mm_train
    assert [(r.path, r.label) for r in val] == mm_val

    d = ann / "mit" / "annotations"
    write(d / "moments_categories.txt", MIT_CATEGORIES)
    write(d / "trainingSet.csv", MIT_TRAIN)
    write(d / "validationSet.csv", MIT_VAL)
    (mm_train, mm_val, _), = mm.parse_mit_splits()
    lm = zoo.read_mit_categories(d / "moments_categories.txt")
    assert [(r.path, r.label) for r in zoo.read_mit_csv(d / "trainingSet.csv", lm, ext="")] == mm_train
    assert [(r.path, r.label) for r in zoo.read_mit_csv(d / "validationSet.csv", lm, ext="")] == mm_val

    d = ann / "mmit" / "annotations"
    write(d / "trainingSet.csv", MMIT_TRAIN)
    write(d / "validationSet.csv", MMIT_VAL)
    (mm_train, mm_val, _), = mm.parse_mmit_splits()
    for ours, theirs in ((d / "trainingSet.csv", mm_train), (d / "validationSet.csv", mm_val)):
        assert [(r.path, list(r.labels)) for r in zoo.read_mmit_csv(ours, 3, ext="")] == theirs

    d = ann / "diving48" / "annotations"
    write(d / "Diving48_V2_train.json", json.dumps(D48_TRAIN))
    write(d / "Diving48_V2_test.json", json.dumps(D48_TEST))
    (mm_train, mm_test), = mm.parse_diving48_splits()
    for name, theirs in (("Diving48_V2_train.json", mm_train), ("Diving48_V2_test.json", mm_test)):
        assert [(r.path, r.label) for r in zoo.read_diving48_json(d / name, ext="")] == theirs
