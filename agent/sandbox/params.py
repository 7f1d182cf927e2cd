"""Query-string and body parsing that answers the contract's 422 VALIDATION with every issue found."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest
from agent.sandbox.errors import validation

N = TypeVar("N", int, float)
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MISSING = object()


def raw_values(req: ApiRequest, name: str) -> list[str]:
    """Every value of `name`, accepting `name[]` and repeated parameters."""
    return req.query.get(name, []) + req.query.get(f"{name}[]", [])


def q_str(req: ApiRequest, name: str) -> str | None:
    values = raw_values(req, name)
    return values[-1] if values else None


def q_list(req: ApiRequest, name: str) -> list[str]:
    """Repeated or comma-separated values."""
    return [part.strip() for value in raw_values(req, name) for part in value.split(",") if part.strip()]


def q_int(req: ApiRequest, name: str, default: int, lo: int, hi: int) -> int:
    return _q_number(req, name, default, lo, hi, int, "an integer")


def q_float(req: ApiRequest, name: str, default: float, lo: float, hi: float) -> float:
    return _q_number(req, name, default, lo, hi, float, "a number")


def _q_number(
    req: ApiRequest, name: str, default: N, lo: N, hi: N, parse: Callable[[str], N], noun: str
) -> N:
    raw = q_str(req, name)
    if raw is None:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise validation([(name, f"Expected {noun} between {lo} and {hi}.")]) from None
    if not (math.isfinite(value) and lo <= value <= hi):
        raise validation([(name, f"Must be between {lo} and {hi}.")])
    return value


def q_bool(req: ApiRequest, name: str) -> bool | None:
    raw = q_str(req, name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise validation([(name, "Expected true or false.")])


def q_enum(req: ApiRequest, name: str, allowed: Sequence[str], default: str | None = None) -> str | None:
    raw = q_str(req, name)
    if raw is None:
        return default
    if raw not in allowed:
        raise validation([(name, f"Must be one of: {', '.join(allowed)}.")])
    return raw


def q_enum_list(req: ApiRequest, name: str, allowed: Sequence[str]) -> list[str]:
    values = q_list(req, name)
    for value in values:
        if value not in allowed:
            raise validation([(name, f"Unknown value {value!r}; expected one of: {', '.join(allowed)}.")])
    return values


def client_uuid(kind: ids.Kind, raw: str, path: str) -> str:
    """A client-minted id: a UUID, with or without its prefix (422 otherwise)."""
    value = ids.decode_uuid(kind, raw)
    if value is None:
        raise validation([(path, uuid_message(kind))])
    return value


def uuid_message(kind: ids.Kind) -> str:
    return f"Expected a UUID (optionally {ids.PREFIXES[kind]}_-prefixed)."


def parse_instant(value: str, path: str, *, allow_date: bool) -> datetime:
    """An ISO-8601 instant. Date-only is a VALIDATION error unless `allow_date` (then it means 00:00Z)."""
    if DATE_ONLY.match(value):
        if not allow_date:
            raise validation(
                [(path, "Expected an ISO-8601 datetime (e.g. 2026-04-10T00:00:00Z), got a date.")]
            )
        try:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        except ValueError:
            raise validation([(path, "Not a valid date.")]) from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise validation([(path, "Expected an ISO-8601 datetime.")]) from None
    if moment.tzinfo is None:
        if not allow_date:
            raise validation([(path, "Datetime needs a timezone (use a Z suffix).")])
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class BodyReader:
    """Collects every problem in a JSON body before answering one 422 with all of them."""

    def __init__(
        self,
        data: dict[str, Any],
        allowed: Iterable[str],
        prefix: str = "",
        issues: list[tuple[str, str]] | None = None,
    ) -> None:
        self.data = data
        self.prefix = prefix
        self.issues = issues if issues is not None else []
        known = set(allowed)
        for key in data:
            if key not in known:
                self.issues.append((self._path(key), "Unrecognized key."))

    def _path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                self.issues.append((self._path(name), "Required."))
            return _MISSING
        return self.data[name]

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        min_len: int = 0,
        max_len: int | None = None,
        nullable: bool = False,
    ) -> str | None:
        value = self._get(name, required)
        if value is _MISSING or (value is None and nullable):
            return None
        if not isinstance(value, str):
            self.issues.append((self._path(name), "Expected a string."))
            return None
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            bounds = f"{min_len}-{max_len}" if max_len is not None else f"at least {min_len}"
            self.issues.append((self._path(name), f"Length must be {bounds} characters."))
            return None
        return value

    def integer(self, name: str, *, default: int, lo: int, hi: int) -> int:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.issues.append((self._path(name), f"Expected an integer between {lo} and {hi}."))
            return default
        return int(value)

    def enum(
        self, name: str, allowed: Sequence[str | None], *, default: str | None = None, required: bool = False
    ) -> Any:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if value is None and None in allowed:
            return None
        if value not in allowed:
            shown = ", ".join("null" if a is None else str(a) for a in allowed)
            self.issues.append((self._path(name), f"Must be one of: {shown}."))
            return default
        return value

    def string_list(self, name: str) -> list[str] | None:
        value = self._get(name, False)
        if value is _MISSING:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.issues.append((self._path(name), "Expected a list of strings."))
            return None
        return value

    def obj(self, name: str, *, nullable: bool = False) -> dict[str, Any] | None:
        value = self._get(name, False)
        if value is _MISSING or (value is None and nullable):
            return None
        if not isinstance(value, dict):
            self.issues.append((self._path(name), "Expected an object."))
            return None
        return value

    def nested(self, name: str, allowed: Iterable[str]) -> BodyReader | None:
        """A reader for an object field; its problems are reported with the parent's."""
        data = self.obj(name)
        return None if data is None else BodyReader(data, allowed, self._path(name), self.issues)

    def done(self) -> None:
        if self.issues:
            raise validation(self.issues)
