"""Annotation formats: typed records that remember their source ``(file, line)``, readers that
raise ``AnnotationError(path, line, message)`` saying what was expected, and writers. The
line-based lists and csv files are read to the end first: several bad lines raise one
``AnnotationErrors`` (a subclass) listing every one, so a file is fixed in one pass.

Text formats count lines from 1; for pickles and JSON lists/objects the second element of
``source`` is the record's index in the file.
"""

from __future__ import annotations

from vidcore.data.annotations.activitynet import (
    ActivityNetRecord,
    ProposalListEntry,
    Segment,
    read_activitynet_json,
    read_localization_results,
    read_proposal_list,
    write_activitynet_json,
)
from vidcore.data.annotations.ava import (
    AVABoxRecord,
    AVAKeyframe,
    ExcludedTimestamp,
    group_keyframes,
    img_key,
    read_ava_csv,
    read_ava_proposals,
    read_excluded_timestamps,
    write_ava_csv,
    write_ava_proposals,
    write_excluded_timestamps,
)
from vidcore.data.annotations.labelmap import LabelMap, read_label_map, write_label_map
from vidcore.data.annotations.lists import (
    AudioRecord,
    RawframeRecord,
    RawVideoRecord,
    VideoRecord,
    read_audio_list,
    read_rawframe_list,
    read_rawvideo_list,
    read_video_list,
    write_audio_list,
    write_rawframe_list,
    write_video_list,
)
from vidcore.data.annotations.official import (
    OfficialSplit,
    kinetics_clip_name,
    read_hmdb51_split,
    read_kinetics_csv,
    read_sthv2_json,
    read_ucf101_split,
    sthv2_labels,
)
from vidcore.data.annotations.safe_pickle import safe_load_pickle, safe_loads_pickle
from vidcore.data.annotations.skeleton import (
    PoseRecord,
    SkeletonAnnotations,
    read_skeleton_pickle,
    write_skeleton_pickle,
)
from vidcore.data.annotations.thumos14 import Thumos14Segment, read_thumos14_annotations, read_thumos14_file

__all__ = [
    "AVABoxRecord",
    "AVAKeyframe",
    "ActivityNetRecord",
    "AudioRecord",
    "ExcludedTimestamp",
    "LabelMap",
    "OfficialSplit",
    "PoseRecord",
    "ProposalListEntry",
    "RawVideoRecord",
    "RawframeRecord",
    "Segment",
    "SkeletonAnnotations",
    "Thumos14Segment",
    "VideoRecord",
    "group_keyframes",
    "img_key",
    "kinetics_clip_name",
    "read_activitynet_json",
    "read_audio_list",
    "read_ava_csv",
    "read_ava_proposals",
    "read_excluded_timestamps",
    "read_hmdb51_split",
    "read_kinetics_csv",
    "read_label_map",
    "read_localization_results",
    "read_proposal_list",
    "read_rawframe_list",
    "read_rawvideo_list",
    "read_skeleton_pickle",
    "read_sthv2_json",
    "read_thumos14_annotations",
    "read_thumos14_file",
    "read_ucf101_split",
    "read_video_list",
    "safe_load_pickle",
    "safe_loads_pickle",
    "sthv2_labels",
    "write_activitynet_json",
    "write_audio_list",
    "write_ava_csv",
    "write_ava_proposals",
    "write_excluded_timestamps",
    "write_label_map",
    "write_rawframe_list",
    "write_skeleton_pickle",
    "write_video_list",
]
