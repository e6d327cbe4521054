"""vidcore.data: frame-exact video decoders, annotation formats, datasets, frame samplers,
transforms and data-prep tools.

The top-level API (each name is imported on first use, so ``import vidcore.data`` stays cheap)::

    from vidcore.data import open_video, VideoDataset, sample_frames, transforms as T

- ``open_video(path | bytes | file object | rawframe folder)``: a reader with ``num_frames``,
  ``fps`` and ``get_frames(indices) -> uint8 (T, H, W, C)``; bad files raise ``VideoDecodeError``
  (a ``DataError``).
- Datasets over MMAction2 annotation files, returning typed samples: ``VideoDataset``,
  ``RawframeDataset``, ``PoseDataset``, ``AudioDataset``, ``AudioFeatureDataset``, ``AVADataset``,
  ``ActivityNetDataset``, the wrappers ``RepeatDataset`` and ``ConcatDataset``, and
  ``collate_samples`` for the DataLoader.
- Samples: ``VideoSample`` (video uint8 ``(T, C, H, W)``, boxes, keypoints), ``PoseSample``
  (keypoints ``(M, T, V, C)``), ``AudioSample`` (waveform ``(S,)`` or features ``(T, F)``),
  ``LocalizationSample`` (ActivityNet features and segments).
- Frame samplers, pure functions ``(num_frames, params, rng) -> int64 0-based indices``:
  ``sample_frames``, ``tsn_sample``, ``dense_sample``, ``untrimmed_sample``, ``uniform_sample``,
  ``uniform_sample_pose``, ``ava_keyframe_window``.
- ``transforms``: uint8 ``(T, C, H, W)`` video transforms (``transforms.pose`` and
  ``transforms.audio`` for the other modalities), all on one base with one rng rule.

Subpackages (``decoders``, ``annotations``, ``datasets``, ``samplers``, ``transforms``, ``synth``,
``types``, ``errors``) hold the rest.
"""

# No ``from __future__ import annotations`` here: it would bind the name ``annotations`` in this
# package, so ``from vidcore.data import annotations`` would return that flag instead of the
# ``vidcore.data.annotations`` subpackage.

import sys

# Plain ``__import__`` and ``TYPE_CHECKING = False`` rather than importlib and typing, which would
# take longer to import than this whole module.
TYPE_CHECKING = False

__version__ = "0.1.0"

# name -> the module that defines it; imported on first access (see ``__getattr__``)
_EXPORTS: dict[str, str] = {
    "open_video": "vidcore.data.decoders",
    "DataError": "vidcore.data.errors",
    "VideoDecodeError": "vidcore.data.errors",
    "VideoDataset": "vidcore.data.datasets",
    "RawframeDataset": "vidcore.data.datasets",
    "PoseDataset": "vidcore.data.datasets",
    "AudioDataset": "vidcore.data.datasets",
    "AudioFeatureDataset": "vidcore.data.datasets",
    "AVADataset": "vidcore.data.datasets",
    "ActivityNetDataset": "vidcore.data.datasets",
    "RepeatDataset": "vidcore.data.datasets",
    "ConcatDataset": "vidcore.data.datasets",
    "collate_samples": "vidcore.data.datasets",
    "VideoSample": "vidcore.data.types",
    "PoseSample": "vidcore.data.types",
    "AudioSample": "vidcore.data.types",
    "LocalizationSample": "vidcore.data.datasets",
    "sample_frames": "vidcore.data.samplers",
    "tsn_sample": "vidcore.data.samplers",
    "dense_sample": "vidcore.data.samplers",
    "untrimmed_sample": "vidcore.data.samplers",
    "uniform_sample": "vidcore.data.samplers",
    "uniform_sample_pose": "vidcore.data.samplers",
    "ava_keyframe_window": "vidcore.data.samplers",
}
_SUBMODULES = ("annotations", "datasets", "decoders", "errors", "samplers", "synth", "transforms", "types")

__all__ = [
    "AVADataset",
    "ActivityNetDataset",
    "AudioDataset",
    "AudioFeatureDataset",
    "AudioSample",
    "ConcatDataset",
    "DataError",
    "LocalizationSample",
    "PoseDataset",
    "PoseSample",
    "RawframeDataset",
    "RepeatDataset",
    "VideoDataset",
    "VideoDecodeError",
    "VideoSample",
    "__version__",
    "ava_keyframe_window",
    "collate_samples",
    "dense_sample",
    "open_video",
    "sample_frames",
    "transforms",
    "tsn_sample",
    "uniform_sample",
    "uniform_sample_pose",
    "untrimmed_sample",
]

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from vidcore.data import transforms
    from vidcore.data.datasets import (
        ActivityNetDataset,
        AudioDataset,
        AudioFeatureDataset,
        AVADataset,
        ConcatDataset,
        LocalizationSample,
        PoseDataset,
        RawframeDataset,
        RepeatDataset,
        VideoDataset,
        collate_samples,
    )
    from vidcore.data.decoders import open_video
    from vidcore.data.errors import DataError, VideoDecodeError
    from vidcore.data.samplers import (
        ava_keyframe_window,
        dense_sample,
        sample_frames,
        tsn_sample,
        uniform_sample,
        uniform_sample_pose,
        untrimmed_sample,
    )
    from vidcore.data.types import AudioSample, PoseSample, VideoSample


def __getattr__(name: str) -> object:
    """Import a top-level name (or subpackage) on first access and keep it in the module."""
    module = _EXPORTS.get(name)
    if module is not None:
        __import__(module)
        value = getattr(sys.modules[module], name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        __import__(f"{__name__}.{name}")
        return sys.modules[f"{__name__}.{name}"]
    import difflib  # only for this error: it costs ~10 ms to import

    close = difflib.get_close_matches(name, [*_EXPORTS, *_SUBMODULES], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}{hint}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
