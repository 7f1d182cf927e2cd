"""The one JSON codec for the domain's frozen dataclasses: enums as their values, tuples as lists, nested
dataclasses as objects; reading follows the type hints and takes a field's default when it is missing.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, Union


class CodecError(ValueError):
    """Stored JSON does not fit its type (a field of the wrong type, not just a missing one)."""


def dump(value: Any) -> Any:
    """JSON-ready form of a dataclass, enum, tuple, list or dict (anything else as it is)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {str(key): dump(item) for key, item in value.items()}
    return value


def load_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments of dataclass `cls` read from `data`."""
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = data.get(f.name)
        if raw is not None:
            values[f.name] = _load(hints[f.name], raw, f"{cls.__name__}.{f.name}")
        elif f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            values[f.name] = f.default_factory()
        elif _optional(hints[f.name]):
            values[f.name] = None
        else:
            raise CodecError(f"{cls.__name__}: field {f.name!r} is missing")
    return values


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def _load(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        problems = []
        for option in (arg for arg in typing.get_args(hint) if arg is not type(None)):
            try:
                return _load(option, value, where)
            except CodecError as exc:
                problems.append(str(exc))
        raise CodecError("; ".join(problems))
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise CodecError(f"{where}: expected a list, got {type(value).__name__}")
        items = [_load(typing.get_args(hint)[0], item, where) for item in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise CodecError(f"{where}: expected an object, got {type(value).__name__}")
        return {str(k): _load(typing.get_args(hint)[1], v, where) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise CodecError(f"{where}: expected an object, got {type(value).__name__}")
        return hint(**load_fields(hint, value))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise CodecError(f"{where}: {value!r} is not a {hint.__name__}") from None
    return _scalar(hint, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if hint is Any or (hint in (str, bool) and isinstance(value, hint)):
        return value
    if hint is float and is_number:
        return float(value)
    if hint is int and is_number and float(value).is_integer():
        return int(value)
    raise CodecError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {type(value).__name__}")
