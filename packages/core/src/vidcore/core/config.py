"""Experiments as Python files of typed dataclasses, command-line overrides, and saving the result.

An experiment file builds its configuration from dataclasses and binds it to a module-level name
``config``::

    # configs/tsm_k400.py  --  run: vidcore-recognition train configs/tsm_k400.py --set optim.lr=0.01
    from myproject.configs import Experiment, Optim
    config = Experiment(model="tsm", optim=Optim(lr=0.02))

:func:`load_config` executes the file and returns that object, :func:`apply_overrides` returns a
copy with ``a.b.c=value`` strings applied (converted to each field's annotated type), and
:func:`save_config` writes the resolved configuration as JSON beside a run's outputs.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import enum
import hashlib
import importlib.util
import json
import os
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any, Literal, Union

__all__ = ["ConfigError", "apply_overrides", "config_to_dict", "load_config", "save_config"]


class ConfigError(ValueError):
    """A configuration file that cannot be loaded, or an override that does not fit the config."""


# ----------------------------------------------------------------------------------------------
# loading


def load_config(path: str | os.PathLike[str], *, name: str = "config") -> Any:
    """Execute the Python file ``path`` and return its module-level ``name`` (a dataclass instance).

    The file's own folder is on ``sys.path`` while it runs, so it can import sibling files. The
    module stays in ``sys.modules`` (under a name derived from the path) so that postponed
    annotations of dataclasses defined in the file can be resolved later. Any error while
    executing it is re-raised as :class:`ConfigError` naming the file (the cause is chained).
    """
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise ConfigError(f"{path}: config file not found")
    if file.suffix != ".py":
        raise ConfigError(f"{path}: a config must be a Python file (.py)")
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:10]
    mod_name = f"vidcore_config_{file.stem.replace('-', '_')}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    folder = str(file.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(mod_name, None)
        raise ConfigError(f"{file}:{e.lineno}: syntax error: {e.msg}") from e
    except Exception as e:
        sys.modules.pop(mod_name, None)
        raise ConfigError(f"{file}: error while executing the config: {type(e).__name__}: {e}") from e
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    if not hasattr(module, name):
        public = sorted(k for k in vars(module) if not k.startswith("_"))
        raise ConfigError(
            f"{file}: defines no module-level name {name!r} (it defines: {', '.join(public) or 'nothing'})"
        )
    cfg = getattr(module, name)
    if not (dataclasses.is_dataclass(cfg) and not isinstance(cfg, type)):
        raise ConfigError(f"{file}: {name!r} must be a dataclass instance, got {type(cfg).__name__}")
    return cfg


# ----------------------------------------------------------------------------------------------
# overrides


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception as e:  # an annotation naming something the module cannot resolve
        raise ConfigError(f"cannot resolve the type annotations of {cls.__qualname__}: {e}") from e


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Union or (hasattr(types, "UnionType") and isinstance(tp, types.UnionType)):
        return " | ".join("None" if a is type(None) else _type_name(a) for a in typing.get_args(tp))
    if origin is Literal:
        return f"Literal[{', '.join(repr(a) for a in typing.get_args(tp))}]"
    if origin is not None:
        args = ", ".join("..." if a is Ellipsis else _type_name(a) for a in typing.get_args(tp))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "")


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class _BadValue(Exception):
    pass


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as e:
        raise _BadValue(f"{text!r} is not a Python literal") from e


def _convert(text: Any, tp: Any) -> Any:
    """Convert ``text`` (a str, or an element already parsed from a literal) to the type ``tp``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is object:
        if isinstance(text, str):
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return text
        return text
    if origin is Union or (hasattr(types, "UnionType") and isinstance(tp, types.UnionType)):
        if type(None) in args and (text is None or (isinstance(text, str) and text in ("None", "null"))):
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(text, arg)
            except _BadValue:
                continue
        raise _BadValue(f"expected {_type_name(tp)}")
    if origin is Literal:
        for choice in args:
            if text == choice or (
                isinstance(text, str) and not isinstance(choice, str) and text == repr(choice)
            ):
                return choice
            if isinstance(text, str) and isinstance(choice, str) and _strip_quotes(text) == choice:
                return choice
        raise _BadValue(f"expected one of {', '.join(repr(a) for a in args)}")
    if tp is type(None):
        if text is None or text in ("None", "null"):
            return None
        raise _BadValue("expected None")
    if tp is bool:
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE:
            return True
        if isinstance(text, str) and text.lower() in _FALSE:
            return False
        raise _BadValue("expected a bool (true/false, yes/no, on/off, 1/0)")
    if tp is int:
        if isinstance(text, bool):
            raise _BadValue("expected an int")
        if isinstance(text, int):
            return text
        try:
            return int(str(text).strip())
        except ValueError:
            raise _BadValue("expected an int") from None
    if tp is float:
        if isinstance(text, bool):
            raise _BadValue("expected a float")
        if isinstance(text, (int, float)):
            return float(text)
        try:
            return float(str(text).strip())
        except ValueError:
            raise _BadValue("expected a float") from None
    if tp is str:
        return _strip_quotes(text) if isinstance(text, str) else str(text)
    if isinstance(tp, type) and issubclass(tp, PurePath):
        return tp(_strip_quotes(str(text)))
    if tp is os.PathLike:
        return Path(_strip_quotes(str(text)))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if text == member.name or text == str(member.value) or text == member.value:
                return member
        raise _BadValue(f"expected one of {', '.join(m.name for m in tp)}")
    if origin in (tuple, list, Sequence, typing.Sequence) or tp in (tuple, list):
        items = _split_sequence(text)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(items) != len(args):
                raise _BadValue(f"expected {len(args)} items, got {len(items)}")
            return tuple(_convert(v, a) for v, a in zip(items, args))
        elem = args[0] if args else Any
        values = [_convert(v, elem) for v in items]
        return values if origin is list or tp is list else tuple(values)
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        value = _literal(text) if isinstance(text, str) else text
        if not isinstance(value, dict):
            raise _BadValue("expected a dict literal such as {'a': 1}")
        kt, vt = args if args else (Any, Any)
        return {_convert(k, kt): _convert(v, vt) for k, v in value.items()}
    raise _BadValue(f"fields of type {_type_name(tp)} cannot be set from a string")


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return str(_literal(text))
    return text


def _split_sequence(text: Any) -> list[Any]:
    if not isinstance(text, str):
        if isinstance(text, (list, tuple)):
            return list(text)
        raise _BadValue("expected a sequence")
    stripped = text.strip()
    if stripped and stripped[0] in "[(":
        value = _literal(stripped)
        if not isinstance(value, (list, tuple)):
            raise _BadValue("expected a list or tuple literal")
        return list(value)
    if stripped == "":
        return []
    return [part.strip() for part in stripped.split(",")]


def _field_map(obj: Any) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(obj)}


def _set_path(obj: Any, path: list[str], raw: str, key: str, done: str) -> Any:
    fields = _field_map(obj)
    name = path[0]
    here = f"{done}.{name}" if done else name
    if name not in fields:
        valid = sorted(n for n, f in fields.items() if f.init)
        close = difflib.get_close_matches(name, valid, n=3)
        hint = (
            f"; did you mean {', '.join((done + '.' if done else '') + c for c in close)}?" if close else ""
        )
        where = f"{done} ({type(obj).__name__})" if done else f"the config ({type(obj).__name__})"
        raise ConfigError(
            f"unknown key {here!r} in override {key}={raw}{hint} (valid keys of {where}: {', '.join(valid)})"
        )
    if not fields[name].init:
        raise ConfigError(f"{here!r} is not an init field of {type(obj).__name__} and cannot be overridden")
    current = getattr(obj, name)
    if len(path) > 1:
        if not (dataclasses.is_dataclass(current) and not isinstance(current, type)):
            raise ConfigError(
                f"cannot set {key!r}: {here!r} is {type(current).__name__} ({current!r}), not a nested config"
            )
        new = _set_path(current, path[1:], raw, key, here)
    else:
        tp = _hints(type(obj)).get(name, Any)
        if (
            dataclasses.is_dataclass(current)
            and not isinstance(current, type)
            and typing.get_origin(tp) is None
        ):
            sub = sorted(f.name for f in dataclasses.fields(current) if f.init)
            raise ConfigError(
                f"{key!r} is a nested config; set one of its fields instead ({', '.join(here + '.' + s for s in sub)})"
            )
        try:
            new = _convert(raw, tp)
        except _BadValue as e:
            raise ConfigError(
                f"bad value for {key!r}: {raw!r} ({e}; the field is {_type_name(tp)})"
            ) from None
    try:
        return dataclasses.replace(obj, **{name: new})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"override {key}={raw} rejected by {type(obj).__name__}: {e}") from e


def apply_overrides(cfg: Any, overrides: Iterable[str]) -> Any:
    """Return a copy of ``cfg`` with each ``"a.b.c=value"`` applied in order; ``cfg`` is not modified.

    ``value`` is converted to the annotated type of field ``c``: ``int``, ``float``, ``bool``
    (true/false, yes/no, on/off, 1/0), ``str`` (surrounding quotes optional), ``Path``, enums (by
    name or value), ``Literal[...]`` (one of its choices), ``X | None`` (``None`` or ``null`` gives
    None, so a ``str | None`` field cannot take the string "None"), unions (first type that fits),
    ``tuple``/``list`` of scalars (``1,2,3`` or a Python literal ``(1, 2, 3)``; empty string for an empty
    sequence), and ``dict`` (a Python literal). Fields annotated ``Any`` take a Python literal, or the
    string itself when it is not one. Nested dataclasses are rebuilt with ``dataclasses.replace``,
    which re-runs their ``__post_init__`` checks.

    Raises :class:`ConfigError` for a malformed override, an unknown key (listing the valid keys
    and the close ones) or a value that does not convert (naming key, value and expected type).
    """
    if isinstance(overrides, str):
        raise ConfigError("overrides must be a list of 'key=value' strings, not one string")
    if not (dataclasses.is_dataclass(cfg) and not isinstance(cfg, type)):
        raise ConfigError(f"overrides apply to a dataclass instance, got {type(cfg).__name__}")
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. optim.lr=0.01)")
        parts = key.split(".")
        if any(not p for p in parts):
            raise ConfigError(f"override key {key!r} has an empty component")
        cfg = _set_path(cfg, parts, raw, key, "")
    return cfg


def config_from_dict(cls: type, data: Mapping[str, Any], *, where: str = "config") -> Any:
    """Rebuild a config dataclass of type ``cls`` from ``config_to_dict`` output (a run's
    ``config.json``): nested dataclasses recursively, every other value converted to its field's
    annotated type as an override would be. Fields absent from ``data`` keep their defaults; an
    unknown key or a value that does not fit raises :class:`ConfigError` naming the key."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected an object of {cls.__name__} fields, got {type(data).__name__}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        here = f"{where}.{key}"
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(f"unknown key {here!r}{hint} ({cls.__name__} has: {', '.join(fields)})")
        tp = hints.get(key, Any)
        sub = _dataclass_type(tp)
        if sub is not None and isinstance(value, Mapping):
            kwargs[key] = config_from_dict(sub, value, where=here)
            continue
        try:
            kwargs[key] = _convert(value, tp)
        except _BadValue as e:
            raise ConfigError(f"bad value for {here!r}: {value!r} ({e}; the field is {_type_name(tp)})") from None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{where}: cannot build {cls.__name__}: {e}") from e


def _dataclass_type(tp: Any) -> type | None:
    """``tp`` itself, or the one dataclass of an ``X | None`` union, when it is a dataclass type."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp
    candidates = [a for a in typing.get_args(tp) if isinstance(a, type) and dataclasses.is_dataclass(a)]
    return candidates[0] if len(candidates) == 1 else None


# ----------------------------------------------------------------------------------------------
# saving


def config_to_dict(cfg: Any) -> Any:
    """A JSON-ready view of ``cfg``: dataclasses become dicts (field order kept), tuples lists, paths
    and enums strings/values, classes and functions ``"module.qualname"``, other objects ``repr``."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: config_to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, enum.Enum):
        return config_to_dict(cfg.value)
    if cfg is None or isinstance(cfg, (bool, int, str)):
        return cfg
    if isinstance(cfg, float):
        return cfg if cfg == cfg and cfg not in (float("inf"), float("-inf")) else repr(cfg)
    if isinstance(cfg, PurePath):
        return str(cfg)
    if isinstance(cfg, Mapping):
        return {str(k): config_to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple, set, frozenset)):
        items = sorted(cfg, key=repr) if isinstance(cfg, (set, frozenset)) else cfg
        return [config_to_dict(v) for v in items]
    if isinstance(cfg, type) or (callable(cfg) and hasattr(cfg, "__qualname__")):
        return f"{getattr(cfg, '__module__', '?')}.{cfg.__qualname__}"
    return repr(cfg)


def save_config(
    cfg: Any,
    directory: str | os.PathLike[str],
    *,
    filename: str = "config.json",
    source: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``config_to_dict(cfg)`` as indented JSON to ``directory/filename`` and return its path.

    The folder is created if needed and the file is replaced atomically (temporary file, rename).
    A readable ``repr`` of the dataclasses goes to ``config.txt`` beside it, and, when ``source``
    (the experiment file) is given, a copy of it to ``config_source.py``.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    _atomic_write(target, json.dumps(config_to_dict(cfg), indent=2) + "\n")
    _atomic_write(folder / "config.txt", repr(cfg) + "\n")
    if source is not None:
        _atomic_write(folder / "config_source.py", Path(source).read_text())
    return target


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
