"""Audio decoding with PyAV (bundled FFmpeg): the first audio stream of any file as float samples."""

from __future__ import annotations

import numpy as np

from vidcore.data.decoders.base import (
    VideoSource,
    check_path,
    describe_error,
    describe_source,
    ffmpeg_errors,
    open_binary,
)
from vidcore.data.errors import VideoDecodeError


def read_audio(
    source: VideoSource, sample_rate: int | None = None, *, mono: bool = True
) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of a file to float32 samples in [-1, 1].

    Args:
        source: path, bytes or binary file object (any container FFmpeg reads: wav, mp4, mkv...).
        sample_rate: resample to this rate in Hz (None keeps the file's rate).
        mono: average the channels (returns ``(S,)``); otherwise ``(C, S)``.

    Returns:
        ``(waveform, sample_rate)``.
    """
    import av

    check_path(source)
    name = describe_source(source)
    try:
        container = av.open(open_binary(source), mode="r", metadata_errors="ignore")
    except ffmpeg_errors() as exc:
        raise VideoDecodeError(name, f"cannot open: {describe_error(exc)}") from exc
    try:
        if not container.streams.audio:
            raise VideoDecodeError(name, "no audio stream in the file")
        stream = container.streams.audio[0]
        rate = int(sample_rate or stream.codec_context.sample_rate or stream.rate)
        layout = "mono" if mono else stream.codec_context.layout.name
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except ffmpeg_errors() as exc:
            raise VideoDecodeError(name, f"audio decoding failed: {describe_error(exc)}") from exc
    finally:
        container.close()
    channels = 1 if mono else len(stream.codec_context.layout.channels)
    wave = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
    wave = wave.astype(np.float32, copy=False)
    return (wave[0] if mono else wave), rate


__all__ = ["read_audio"]
