"""How Python arguments go on the wire: camelCase names, UTC datetimes, repeated list parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic.alias_generators import to_camel

QueryValue = str | int | float | bool | datetime | Sequence[str] | None


def iso_utc(value: datetime) -> str:
    """`2026-04-10T00:00:00Z`: Layers rejects date-only values and wants UTC with `Z`."""
    if value.tzinfo is None:
        raise ValueError("datetimes sent to Layers must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def query(**params: QueryValue) -> dict[str, Any]:
    """camelCase query params with None dropped, booleans as true/false, lists repeated."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if value is None:
            continue
        key = to_camel(name)
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = iso_utc(value)
        elif isinstance(value, list | tuple):
            out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


def camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Accept snake_case keyword fields (app_description) as well as wire names (appDescription)."""
    return {to_camel(k) if "_" in k else k: v for k, v in fields.items()}
