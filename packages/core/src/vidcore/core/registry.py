"""A name registry for builder functions, for where a string comes from outside (a CLI, a config).

Builders are plain typed functions; registering one only makes it reachable by name. Building a
model directly in Python never needs the registry.

    models = Registry("model", entry_point_group="vidcore.models")

    @models.register
    def tsm_r50_1x1x8_kinetics400(num_classes: int = 400) -> Recognizer2D: ...

    net = models.build("tsm_r50_1x1x8_kinetics400", num_classes=10)

Other distributions can add builders through the entry-point group: each entry point names a
module, which is imported (and so registers its builders) the first time a name is looked up.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class RegistryError(KeyError):
    """An unknown or duplicate name. ``str()`` gives the whole message (``KeyError`` quotes it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Registry(Generic[F]):
    """A mapping from names to builder functions. Duplicate names raise."""

    def __init__(
        self,
        kind: str,
        entry_point_group: str | None = None,
        *,
        modules: Sequence[str] = (),
        list_hint: str = "",
    ) -> None:
        """``modules`` are imported, then every module of ``entry_point_group``, on the first
        lookup; ``list_hint`` tells a user how to list the names (e.g. a CLI command)."""
        self.kind = kind
        self.entry_point_group = entry_point_group
        self.modules = tuple(modules)
        self.list_hint = list_hint
        self._items: dict[str, F] = {}
        self._plugins_loaded = entry_point_group is None and not self.modules

    def register(self, fn: F | None = None, *, name: str | None = None) -> Any:
        """Register ``fn`` under ``name`` (default: its ``__name__``); usable as a decorator."""

        def add(f: F) -> F:
            key = name or f.__name__
            if key in self._items and self._items[key] is not f:
                raise RegistryError(
                    f"{self.kind} {key!r} is registered twice: by {_where(self._items[key])} "
                    f"and by {_where(f)}"
                )
            self._items[key] = f
            return f

        return add(fn) if fn is not None else add

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for module in self.modules:
            import_module(module)
        if self.entry_point_group is None:
            return
        for ep in entry_points(group=self.entry_point_group):
            module = ep.value.split(":")[0]
            if module not in self.modules:
                import_module(module)

    def get(self, name: str) -> F:
        self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            # names that extend what was typed first (``tsm_r18`` -> ``tsm_r18_1x1x8_...``)
            close = sorted(n for n in self._items if n.startswith(name))[:5]
            close += [n for n in difflib.get_close_matches(name, self._items, n=3) if n not in close]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            how = self.list_hint or "list them with names()"
            raise RegistryError(f"unknown {self.kind} {name!r}{hint} ({len(self._items)} registered; {how})") from None

    def build(self, name: str, /, **kwargs: Any) -> Any:
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load_plugins()
        return len(self._items)


def _where(f: Callable[..., Any]) -> str:
    return f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}"
