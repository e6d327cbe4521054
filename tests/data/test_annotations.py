"""Annotation readers/writers: round trips (hypothesis), error messages, official split files."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vidcore.data.annotations as A
from vidcore.data.errors import AnnotationError, AnnotationErrors

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
token = st.text(alphabet="abcXYZ019_-./", min_size=1, max_size=12).filter(lambda s: not s.startswith("#"))
labels = st.lists(st.integers(0, 500), min_size=1, max_size=4).map(tuple)


# ---- round trips ---------------------------------------------------------------------------
@SETTINGS
@given(
    recs=st.lists(st.tuples(token, st.integers(0, 10**6), st.integers(0, 999), labels), max_size=6),
    with_offset=st.booleans(),
)
def test_rawframe_roundtrip(tmp_path: Path, recs: list, with_offset: bool) -> None:
    records = [A.RawframeRecord(d, t, lab, off if with_offset else 0) for d, t, off, lab in recs]
    path = tmp_path / "list.txt"
    A.write_rawframe_list(records, path, with_offset=with_offset)
    back = A.read_rawframe_list(path, with_offset=with_offset, multi_label=True)
    assert back == records
    assert [r.source[1] for r in back] == list(range(1, len(records) + 1))


@SETTINGS
@given(recs=st.lists(st.tuples(token, labels), max_size=6))
def test_video_roundtrip(tmp_path: Path, recs: list) -> None:
    records = [A.VideoRecord(p, lab) for p, lab in recs]
    A.write_video_list(records, tmp_path / "v.txt")
    assert A.read_video_list(tmp_path / "v.txt", multi_label=True) == records


@SETTINGS
@given(recs=st.lists(st.tuples(token, st.integers(0, 9999), labels), max_size=6))
def test_audio_roundtrip(tmp_path: Path, recs: list) -> None:
    records = [A.AudioRecord(p, n, lab) for p, n, lab in recs]
    A.write_audio_list(records, tmp_path / "a.txt")
    assert A.read_audio_list(tmp_path / "a.txt", multi_label=True) == records


box = st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)).map(
    lambda b: (min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3]))
)


@SETTINGS
@given(
    recs=st.lists(
        st.tuples(
            token.filter(lambda s: "," not in s),
            st.integers(0, 9999),
            box,
            st.integers(1, 80),
            st.integers(0, 50),
        ),
        max_size=6,
    )
)
def test_ava_csv_roundtrip(tmp_path: Path, recs: list) -> None:
    records = [A.AVABoxRecord(v, t, b, a, person_id=p) for v, t, b, a, p in recs]
    A.write_ava_csv(records, tmp_path / "ava.csv", decimals=None)
    assert A.read_ava_csv(tmp_path / "ava.csv") == records


@SETTINGS
@given(
    names=st.lists(
        st.text(alphabet="ab c/()\"'-é", min_size=1, max_size=10).map(str.strip).filter(bool),
        min_size=1,
        max_size=6,
        unique=True,
    )
)
def test_label_map_roundtrip(tmp_path: Path, names: list[str]) -> None:
    for fmt in ("names", "ids", "pbtxt"):
        lm = (
            A.LabelMap({i * 3 + (fmt != "names"): n for i, n in enumerate(names)})
            if fmt != "names"
            else A.LabelMap.from_names(names)
        )
        A.write_label_map(lm, tmp_path / f"lm.{fmt}", format=fmt)  # type: ignore[arg-type]
        back = A.read_label_map(tmp_path / f"lm.{fmt}", format=fmt)  # type: ignore[arg-type]
        assert dict(back.items()) == dict(lm.items()), fmt


@SETTINGS
@given(
    vids=st.lists(
        st.tuples(
            st.floats(0.5, 500), st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), token), max_size=3)
        ),
        max_size=4,
    )
)
def test_activitynet_roundtrip(tmp_path: Path, vids: list) -> None:
    records = [
        A.ActivityNetRecord(
            f"v_{i}",
            dur,
            tuple(A.Segment(min(a, b), max(a, b), lab) for a, b, lab in segs),
            100,
            96,
            30.0,
            29.97,
        )
        for i, (dur, segs) in enumerate(vids)
    ]
    A.write_activitynet_json(records, tmp_path / "anet.json")
    assert A.read_activitynet_json(tmp_path / "anet.json") == records


def test_skeleton_and_proposal_roundtrip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    recs = [
        A.PoseRecord(
            f"clip{i}",
            i,
            7,
            rng.random((2, 7, 17, 2)).astype(np.float32),
            rng.random((2, 7, 17)).astype(np.float32),
            (480, 640),
        )
        for i in range(3)
    ]
    ann = A.SkeletonAnnotations({"train": ["clip0", "clip2"], "val": ["clip1"]}, recs)
    A.write_skeleton_pickle(ann, tmp_path / "s.pkl")
    back = A.read_skeleton_pickle(tmp_path / "s.pkl")
    assert [r.frame_dir for r in back.select("train")] == ["clip0", "clip2"]
    np.testing.assert_array_equal(back.records[1].keypoint, recs[1].keypoint)
    assert back.records[2].img_shape == (480, 640) and back.records[2].source == (str(tmp_path / "s.pkl"), 2)
    props = {"vid,0902": rng.random((4, 5)), "vid,0903": rng.random((2, 4))}
    A.write_ava_proposals(props, tmp_path / "p.pkl")
    back_p = A.read_ava_proposals(tmp_path / "p.pkl")
    for k in props:
        np.testing.assert_allclose(back_p[k], props[k], rtol=1e-6)


# ---- errors name file, line and expectation ------------------------------------------------
@pytest.mark.parametrize(
    ("reader", "text", "line", "expect"),
    [
        (lambda p: A.read_rawframe_list(p), "a 3 1\nb x 2\n", 2, "expected an integer total_frames, got 'x'"),
        (lambda p: A.read_rawframe_list(p), "a 3 1\n\nb\n", 3, "expected 'frame_dir total_frames label"),
        (lambda p: A.read_rawframe_list(p, with_offset=True), "a 3\n", 1, "frame_dir offset total_frames"),
        (lambda p: A.read_rawframe_list(p), "a -3 1\n", 1, "expected total_frames >= 0, got -3"),
        (lambda p: A.read_video_list(p), "a.mp4 1\nb.mp4 1 2\n", 2, "pass --multi-label"),
        (lambda p: A.read_video_list(p), "a.mp4 cat\n", 1, "expected an integer label, got 'cat'"),
        (lambda p: A.read_audio_list(p), "a.npy 10\n", 1, "expected 'file total_frames label"),
        (lambda p: A.read_ava_csv(p), "v,0902,0.1,0.1,0.5,0.5,3,0\nv,0902,0.1,0.1,0.5\n", 2, "got 5 columns"),
        (lambda p: A.read_ava_csv(p), "v,0902,0.6,0.1,0.5,0.5,3,0\n", 1, "0 <= x1 <= x2 <= 1"),
        (lambda p: A.read_excluded_timestamps(p), "v,0902\nv\n", 2, "expected 'video_id,timestamp'"),
        (lambda p: A.read_label_map(p, format="ids"), "1 a\nb\n", 2, "expected 'id name' or 'id: name'"),
        (lambda p: A.read_label_map(p), "0 a\n0 b\n", 2, "duplicate class id 0"),
        (
            lambda p: A.read_label_map(p),
            'item {\n  name: "a"\n}\n',
            1,
            "expected an item with 'name' and 'id'",
        ),
        (lambda p: A.read_label_map(p), 'item {\n  name: "a"\n  id: 1\n', 1, "item not closed"),
        (
            lambda p: A.read_activitynet_json(p),
            '{"v": {"duration_second": 3,\n "annotations": [}}',
            2,
            "invalid JSON",
        ),
        (lambda p: A.read_proposal_list(p), "# 0\nimgs\n5\n1\n1\n3 1\n", 6, "expected 'label start end'"),
    ],
)
def test_errors_name_file_line_and_expectation(
    tmp_path: Path, reader, text: str, line: int, expect: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(AnnotationError) as info:
        reader(path)
    err = info.value
    assert (err.path, err.line) == (str(path), line)
    assert expect in err.message
    assert str(err).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    ("reader", "text", "bad_lines"),
    [
        (lambda p: A.read_rawframe_list(p), "a 3 1\nb x 2\nc 4 0\nd\ne 5 cat\n", [2, 4, 5]),
        (lambda p: A.read_video_list(p), "a.mp4 1\nb.mp4 x\nc.mp4 2\nd.mp4 -1\n", [2, 4]),
        (lambda p: A.read_audio_list(p), "a.npy 10\nb.npy 10 1\nc.npy 10\n", [1, 3]),
        (lambda p: A.read_ava_csv(p), "v,0902,0.1,0.1,0.5,0.5,3\nv,0902\nv,x,0.1,0.1,0.5,0.5,3\n", [2, 3]),
        (lambda p: A.read_excluded_timestamps(p), "v\nv,0902\nv,a\n", [1, 3]),
    ],
)
def test_every_malformed_line_is_reported_at_once(tmp_path: Path, reader, text: str, bad_lines: list[int]) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(AnnotationErrors) as info:
        reader(path)
    err = info.value
    assert err.lines == bad_lines
    assert all(e.path == str(path) for e in err.errors)
    assert str(err).startswith(f"{path}: {len(bad_lines)} malformed lines:")
    for n in bad_lines:
        assert f"{path}:{n}: " in str(err)
    assert isinstance(err, AnnotationError)  # one except clause still catches both


def test_a_file_in_another_format_stops_after_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "wrong_format.txt"
    path.write_text("".join(f"clip{i}.mp4,{i},0.1,0.1,0.5,0.5,3\n" for i in range(3 * AnnotationErrors.LIMIT)))
    with pytest.raises(AnnotationErrors, match="is it the right format") as info:
        A.read_rawframe_list(path)  # an AVA csv has no whitespace-separated fields
    assert info.value.lines == list(range(1, AnnotationErrors.LIMIT + 1))
    assert f"... and {AnnotationErrors.LIMIT - AnnotationErrors.SHOWN} more" in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match="file not found"):
        A.read_video_list(tmp_path / "nope.txt")
    # a file name that is not UTF-8 is a valid list entry: kept as Python spells such names
    (tmp_path / "bin.txt").write_bytes(b"ok 1\n\xff\xfe 2\n")
    records = A.read_video_list(tmp_path / "bin.txt")
    assert [r.path for r in records] == ["ok", os.fsdecode(b"\xff\xfe")] and records[1].label == 2
    assert os.fsencode(records[1].path) == b"\xff\xfe"  # the very bytes, to open the very file
    (tmp_path / "names.txt").write_bytes(b"walk\n\xff\xfe\n")  # class names must still be text
    with pytest.raises(AnnotationError, match=r"names.txt:2: not UTF-8"):
        A.read_label_map(tmp_path / "names.txt")


def test_skeleton_validation(tmp_path: Path) -> None:
    good = {"frame_dir": "a", "label": 1, "total_frames": 4, "keypoint": np.zeros((1, 4, 17, 2), np.float32)}
    cases = [
        ({**good, "keypoint": np.zeros((4, 17, 2))}, "expected keypoint as an array (M, T, V, C)"),
        ({**good, "total_frames": 5}, "keypoint has T=4 frames but total_frames=5"),
        ({**good, "keypoint_score": np.zeros((1, 4, 16))}, "expected keypoint_score of shape (1, 4, 17)"),
        ({k: v for k, v in good.items() if k != "label"}, "missing 'label'"),
    ]
    for i, (item, expect) in enumerate(cases):
        path = tmp_path / f"s{i}.pkl"
        path.write_bytes(pickle.dumps({"split": {}, "annotations": [good, item]}))
        with pytest.raises(AnnotationError) as info:
            A.read_skeleton_pickle(path)
        assert "annotation 1 (frame_dir 'a')" in str(info.value) and expect in str(info.value)


# ---- the restricted unpickler --------------------------------------------------------------
class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED_BY_PICKLE",))


def test_malicious_pickle_refused_without_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    payload = pickle.dumps({"split": {}, "annotations": [_Evil()]})
    (tmp_path / "evil.pkl").write_bytes(payload)
    with pytest.raises(AnnotationError, match=r"refers to (posix|os|nt)\.system"):
        A.read_skeleton_pickle(tmp_path / "evil.pkl")
    with pytest.raises(AnnotationError, match="only numpy arrays"):
        A.read_ava_proposals(tmp_path / "evil.pkl")
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()
    # sanity check of the test itself: the plain unpickler does run it
    pickle.loads(payload)
    assert (tmp_path / "PWNED_BY_PICKLE").exists()


def test_safe_pickle_admits_numpy_and_containers() -> None:
    obj = {"a": [np.arange(3, dtype=np.int16), np.float16(0.5), (1, 2.0, "x", b"by")], "s": {1, 2}, 0.5: None}
    for protocol in (2, 4, 5):
        back = A.safe_loads_pickle(pickle.dumps(obj, protocol=protocol))
        np.testing.assert_array_equal(back["a"][0], obj["a"][0])
        assert (
            back["a"][1] == np.float16(0.5) and back["a"][2] == (1, 2.0, "x", b"by") and back["s"] == {1, 2}
        )
    with pytest.raises(AnnotationError, match="not a readable pickle"):
        A.safe_loads_pickle(b"\x80\x04garbage")


# ---- official split files ------------------------------------------------------------------
def test_ucf101_split(tmp_path: Path) -> None:
    (tmp_path / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    (tmp_path / "trainlist01.txt").write_text(
        "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\nArchery/v_Archery_g08_c01.avi 2\n"
    )
    (tmp_path / "testlist01.txt").write_text("Archery/v_Archery_g01_c01.avi\n")
    s = A.read_ucf101_split(tmp_path, 1)
    assert s.label_map.names == ["ApplyEyeMakeup", "Archery"]
    assert [(r.path, r.label) for r in s.train] == [
        ("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", 0),
        ("Archery/v_Archery_g08_c01.avi", 1),
    ]
    assert [(r.path, r.label) for r in s.val] == [("Archery/v_Archery_g01_c01.avi", 1)]
    (tmp_path / "trainlist01.txt").write_text("Archery/v_Archery_g08_c01.avi 1\n")
    with pytest.raises(
        AnnotationError, match=r"trainlist01.txt:1: label 1 disagrees with the folder 'Archery'"
    ):
        A.read_ucf101_split(tmp_path, 1)


def test_hmdb51_split(tmp_path: Path) -> None:
    (tmp_path / "wave_test_split1.txt").write_text("w1.avi 1 \nw2.avi 2 \nw3.avi 0 \n")
    (tmp_path / "brush_hair_test_split1.txt").write_text("b1.avi 2\n")
    (tmp_path / "brush_hair_test_split2.txt").write_text("b1.avi 1\n")
    s = A.read_hmdb51_split(tmp_path, 1)
    assert s.label_map.names == ["brush_hair", "wave"]
    assert [(r.path, r.label) for r in s.train] == [("wave/w1.avi", 1)]
    assert [(r.path, r.label) for r in s.val] == [("brush_hair/b1.avi", 0), ("wave/w2.avi", 1)]


def test_kinetics_csv(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(
        'label,youtube_id,time_start,time_end,split\nzumba,abc,10,20,train\n"air drumming",xyz,0,10,train\n'
    )
    recs, lm = A.read_kinetics_csv(tmp_path / "train.csv")
    assert lm.names == ["air drumming", "zumba"]
    assert [(r.path, r.label) for r in recs] == [
        ("zumba/abc_000010_000020.mp4", 1),
        ("air drumming/xyz_000000_000010.mp4", 0),
    ]
    assert recs[1].source == (str(tmp_path / "train.csv"), 3)
    (tmp_path / "bad.csv").write_text("label,youtube_id,time_start,time_end,split\nzumba,abc,10\n")
    with pytest.raises(AnnotationError, match=r"bad.csv:2: expected 5 columns"):
        A.read_kinetics_csv(tmp_path / "bad.csv")


def test_sthv2_json(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(
        json.dumps({"Holding something": "1", "Approaching something with your camera": "0"})
    )
    (tmp_path / "train.json").write_text(
        json.dumps(
            [
                {
                    "id": "78687",
                    "label": "holding potato",
                    "template": "Holding [something]",
                    "placeholders": ["potato"],
                }
            ]
        )
    )
    (tmp_path / "test.json").write_text(json.dumps([{"id": "5"}]))
    lm = A.sthv2_labels(tmp_path / "labels.json")
    assert lm.names == ["Approaching something with your camera", "Holding something"]
    assert [(r.path, r.label) for r in A.read_sthv2_json(tmp_path / "train.json", lm)] == [("78687.webm", 1)]
    assert [(r.path, r.labels) for r in A.read_sthv2_json(tmp_path / "test.json", lm)] == [("5.webm", ())]
