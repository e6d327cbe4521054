"""``stack_videos`` / ``collate_samples``: same values as ``torch.stack``, the clips' memory layout
kept, shared memory inside DataLoader workers, a clear error for clips of different sizes."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from vidcore.data.datasets import collate_samples
from vidcore.data.datasets.base import stack_videos
from vidcore.data.types import VideoSample


def _clip(seed: int, t: int = 3, h: int = 5, w: int = 7, channels_last: bool = True) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    thwc = torch.randint(0, 256, (t, h, w, 3), dtype=torch.uint8, generator=g)
    clip = thwc.permute(0, 3, 1, 2)  # (T, C, H, W) with channels-last memory, as decoders give
    return clip if channels_last else clip.contiguous()


def test_channels_last_clips_keep_their_layout() -> None:
    clips = [_clip(0), _clip(1)]
    out = stack_videos(clips)
    assert torch.equal(out, torch.stack(clips))
    assert out.shape == (2, 3, 3, 5, 7)
    # memory order (N, T, H, W, C): C is the innermost dimension
    assert out.stride() == (3 * 5 * 7 * 3, 5 * 7 * 3, 1, 7 * 3, 3)


@pytest.mark.parametrize("layouts", [(False, False), (True, False), (False, True)])
def test_default_or_mixed_layouts_give_the_default_layout(layouts: tuple[bool, bool]) -> None:
    clips = [_clip(i, channels_last=cl) for i, cl in enumerate(layouts)]
    out = stack_videos(clips)
    assert torch.equal(out, torch.stack(clips))
    assert out.is_contiguous()


def test_views_reshape_of_a_channels_last_batch() -> None:
    clips = [_clip(i, t=4) for i in range(3)]  # 2 views of 2 frames each
    samples = [VideoSample(video=c, label=i, meta={"index": i, "num_views": 2}) for i, c in enumerate(clips)]
    batch = collate_samples(samples)
    assert batch["video"].shape == (3, 2, 2, 3, 5, 7)
    assert torch.equal(batch["video"], torch.stack(clips).reshape(3, 2, 2, 3, 5, 7))


def test_clips_of_different_sizes_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"different shapes.*\(3, 3, 5, 7\).*\(3, 3, 6, 7\)"):
        stack_videos([_clip(0), _clip(1, h=6)])


class _Clips(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> VideoSample:
        return VideoSample(video=_clip(i), label=i, meta={"index": i})


def _collate_and_report(samples: list[VideoSample]) -> tuple:
    batch = collate_samples(samples)
    return batch, batch.video.is_shared()


def test_in_a_worker_the_batch_is_built_in_shared_memory() -> None:
    batches = list(DataLoader(_Clips(), batch_size=2, num_workers=1, collate_fn=_collate_and_report))
    assert [shared for _, shared in batches] == [True, True]
    got = torch.cat([b.video for b, _ in batches])
    assert torch.equal(got, torch.stack([_clip(i) for i in range(4)]))
    # in the main process nothing is put in shared memory
    assert not collate_samples([_Clips()[0], _Clips()[1]])["video"].is_shared()
