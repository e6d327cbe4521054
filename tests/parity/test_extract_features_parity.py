"""``vidcore.recognition.features.snippet_indices`` against MMAction2's ``UntrimmedSampleFrames``
(the sampler of its ActivityNet feature extraction configs), on a grid of video lengths and snippets."""

from __future__ import annotations

import numpy as np
import pytest
from mm_helpers import require_mmaction

from vidcore.recognition.features import SnippetConfig, snippet_indices


@pytest.mark.parametrize("clip_len,clip_interval,frame_interval", [(1, 16, 1), (8, 16, 8), (4, 8, 2), (5, 3, 1), (16, 16, 1)])
def test_snippets_match_untrimmed_sample_frames(clip_len: int, clip_interval: int, frame_interval: int) -> None:
    require_mmaction()
    from mmaction.datasets.transforms import UntrimmedSampleFrames

    sampler = UntrimmedSampleFrames(clip_len=clip_len, clip_interval=clip_interval, frame_interval=frame_interval)
    cfg = SnippetConfig(snippet_len=clip_len, stride=clip_interval, frame_interval=frame_interval)
    checked = 0
    for total in range(clip_interval // 2 + 1, 200, 7):  # lengths MMAction2 gives at least one snippet
        res = sampler.transform({"total_frames": total, "start_index": 0})
        theirs = res["frame_inds"].reshape(res["num_clips"], clip_len)
        np.testing.assert_array_equal(snippet_indices(total, cfg), theirs, err_msg=f"total_frames={total}")
        checked += 1
    assert checked > 10
