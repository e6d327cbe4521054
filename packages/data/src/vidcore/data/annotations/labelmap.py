"""Label maps: class names by id.

Three file formats are read and written:

- ``names``: one class name a line; the line order gives ids 0, 1, 2, ... (the label maps under
  MMAction2's ``tools/data``, UCF101 ``classInd.txt`` aside).
- ``ids``: ``id name`` or ``id: name`` a line (AVA's ``label_map.txt``, UCF101's ``classInd.txt``).
- ``pbtxt``: AVA's protobuf text, ``item { name: "bend/bow (at the waist)" id: 1 }`` with any other
  fields (``label_type``, ``display_name``) ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vidcore.data.annotations._common import PathArg, atomic_write_text, iter_lines
from vidcore.data.errors import AnnotationError

LabelMapFormat = Literal["auto", "names", "ids", "pbtxt"]

_ID_LINE = re.compile(r"^(\d+)\s*(?::\s*|\s+)(\S.*)$")


@dataclass(frozen=True)
class LabelMap(Mapping[int, str]):
    """Class id -> name. ``len()`` is the number of entries; ``num_classes`` is ``max id + 1``."""

    names_by_id: dict[int, str]
    source: str | None = field(default=None, compare=False)

    @classmethod
    def from_names(cls, names: list[str]) -> LabelMap:
        """Ids 0..len-1 in list order."""
        return cls(dict(enumerate(names)))

    def __getitem__(self, class_id: int) -> str:
        return self.names_by_id[class_id]

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.names_by_id))

    def __len__(self) -> int:
        return len(self.names_by_id)

    @property
    def num_classes(self) -> int:
        """``max id + 1`` (0 for an empty map): the size of a classifier covering every id."""
        return max(self.names_by_id, default=-1) + 1

    @property
    def names(self) -> list[str]:
        """Names ordered by id."""
        return [self.names_by_id[i] for i in self]

    def id_of(self, name: str) -> int:
        """The id of ``name``; ``KeyError`` naming it when absent."""
        for i, n in sorted(self.names_by_id.items()):
            if n == name:
                return i
        raise KeyError(f"class {name!r} is not in the label map{f' {self.source}' if self.source else ''}")


def read_label_map(path: PathArg, *, format: LabelMapFormat = "auto") -> LabelMap:
    """Read a label map in any of the module's formats. ``auto`` picks ``pbtxt`` for files whose
    first line starts with ``item``, ``ids`` when every line is ``<int> name`` / ``<int>: name``,
    else ``names``. A duplicate id raises ``AnnotationError`` naming the line; duplicate names are
    kept (FineGym's 99-class map repeats some), and ``id_of`` returns the first."""
    p = Path(path)
    lines = list(iter_lines(p))
    if format == "auto":
        if lines and lines[0][1].startswith("item"):
            format = "pbtxt"
        elif lines and all(_ID_LINE.match(t) for _, t in lines):
            format = "ids"
        else:
            format = "names"
    if format == "pbtxt":
        return _read_pbtxt(p, lines)
    names: dict[int, str] = {}
    for index, (number, text) in enumerate(lines):
        if format == "ids":
            m = _ID_LINE.match(text)
            if m is None:
                raise AnnotationError(p, number, f"expected 'id name' or 'id: name', got {text!r}")
            class_id, name = int(m.group(1)), m.group(2).strip()
        else:
            class_id, name = index, text
        if class_id in names:
            raise AnnotationError(
                p, number, f"duplicate class id {class_id} (first named {names[class_id]!r})"
            )
        names[class_id] = name
    return LabelMap(names, str(p))


_PBTXT_TOKEN = re.compile(r'\s*(?:(\{)|(\})|(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|[^\s{}]+)|(\w+)\s*(?=\{))')


def _read_pbtxt(p: Path, lines: list[tuple[int, str]]) -> LabelMap:
    names: dict[int, str] = {}
    depth = 0
    current: dict[str, str] = {}
    start_line = 0
    for number, text in lines:
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "" or text[pos:].lstrip().startswith("#"):
                break
            m = _PBTXT_TOKEN.match(text, pos)
            if m is None:
                raise AnnotationError(
                    p, number, f"expected 'item {{', 'key: value' or '}}' in pbtxt, got {text[pos:]!r}"
                )
            pos = m.end()
            if m.group(5):
                if depth != 0 or m.group(5) != "item":
                    raise AnnotationError(p, number, f"expected a top-level 'item {{', got {m.group(5)!r}")
            elif m.group(1):
                depth += 1
                current, start_line = {}, number
            elif m.group(2):
                if depth != 1:
                    raise AnnotationError(p, number, "unbalanced '}'")
                depth = 0
                if "name" not in current or "id" not in current:
                    raise AnnotationError(
                        p, start_line, f"expected an item with 'name' and 'id', got keys {sorted(current)}"
                    )
                try:
                    class_id = int(current["id"])
                except ValueError:
                    raise AnnotationError(
                        p, start_line, f"expected an integer id, got {current['id']!r}"
                    ) from None
                if class_id in names:
                    raise AnnotationError(p, start_line, f"duplicate class id {class_id}")
                names[class_id] = current["name"]
            else:
                if depth != 1:
                    raise AnnotationError(p, number, f"field {m.group(3)!r} outside an item")
                value = m.group(4)
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                current[m.group(3)] = value
    if depth != 0:
        raise AnnotationError(p, start_line, "item not closed: expected '}'")
    return LabelMap(names, str(p))


def write_label_map(
    label_map: LabelMap | list[str], path: PathArg, *, format: Literal["names", "ids", "pbtxt"] = "names"
) -> None:
    """Write a label map. ``names`` needs ids 0..n-1 without gaps (a line's position is its id)."""
    lm = LabelMap.from_names(label_map) if isinstance(label_map, list) else label_map
    for name in lm.names:
        if "\n" in name or not name.strip() or name != name.strip():
            raise ValueError(f"class name {name!r} cannot be written to a line-based label map")
    if format == "names":
        if list(lm) != list(range(len(lm))):
            raise ValueError("format='names' needs ids 0..n-1 without gaps; use format='ids'")
        text = "".join(f"{n}\n" for n in lm.names)
    elif format == "ids":
        text = "".join(f"{i} {lm[i]}\n" for i in lm)
    else:
        text = "".join(f'item {{\n  name: "{_pb_escape(lm[i])}"\n  id: {i}\n}}\n' for i in lm)
    atomic_write_text(path, text)


def _pb_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')
