"""The errors the data package raises. Each names the file (and line, where there is one) and the cause.

Catch ``DataError`` to handle every bad-input case at once (datasets do, to skip a bad sample).
"""

from __future__ import annotations

from os import PathLike


class DataError(Exception):
    """Bad input data: a file that cannot be read, parsed or decoded."""


class AnnotationError(DataError, ValueError):
    """A malformed annotation: ``path:line: message (expected ...)``."""

    def __init__(self, path: str | PathLike[str] | None, line: int | None, message: str) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.message = message
        where = self.path or "<annotations>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class AnnotationErrors(AnnotationError):
    """Several malformed lines in one file, reported together so they can be fixed in one pass.

    ``errors`` holds one ``AnnotationError`` per line (``lines`` their numbers); the message lists
    them. A reader stops collecting after ``LIMIT`` bad lines (usually a file in another format).
    """

    LIMIT = 100
    SHOWN = 20

    def __init__(self, path: str | PathLike[str] | None, errors: list[AnnotationError], *, stopped: bool = False) -> None:
        self.errors = list(errors)
        shown = "\n".join(f"  {e}" for e in self.errors[: self.SHOWN])
        more = f"\n  ... and {len(self.errors) - self.SHOWN} more" if len(self.errors) > self.SHOWN else ""
        stop = f" (stopped after {len(self.errors)}: is it the right format?)" if stopped else ""
        super().__init__(path, None, f"{len(self.errors)} malformed lines{stop}:\n{shown}{more}")

    @property
    def lines(self) -> list[int | None]:
        return [e.line for e in self.errors]


class VideoDecodeError(DataError):
    """A video that cannot be opened or decoded: missing, empty, truncated, not a video, bad index."""

    def __init__(self, path: str | PathLike[str] | None, cause: str) -> None:
        self.path = None if path is None else str(path)
        self.cause = cause
        super().__init__(f"{self.path or '<video>'}: {cause}")


class FrameTooLargeError(VideoDecodeError):
    """A video or image whose frame size is above the reader's pixel limit (``max_pixels``).

    Raised from the stream header, before any frame of that size is allocated. ``width``,
    ``height`` and ``limit`` are in pixels.
    """

    def __init__(self, path: str | PathLike[str] | None, width: int, height: int, limit: int) -> None:
        self.width, self.height, self.limit = int(width), int(height), int(limit)
        super().__init__(
            path,
            f"frame size {self.width}x{self.height} ({self.width * self.height / 1e6:.1f} megapixels) is above "
            f"the limit of {self.limit} pixels (8K UHD, 7680x4320, is {7680 * 4320}); if the file is genuine, "
            "open it with a larger max_pixels",
        )
