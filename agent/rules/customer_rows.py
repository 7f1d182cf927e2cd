"""The rows of a customer import file, validated: pure.

Every row is checked against the same rules as `agent customers add`: an IANA timezone, a stage, a mode, a
local run time, threshold overrides within the settings' own ranges (`Thresholds.with_overrides`) and
kinds a customer's policy may auto-approve. The same project, name or external id on two lines is an error
on the second. Each problem names its line and field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from agent.domain.ids import bare_id
from agent.domain.vocabulary import CustomerMode, Stage, values
from agent.rules.recommendations import KIND_VALUE_PROPOSITIONS
from agent.rules.schedule import validate_timezone
from agent.rules.thresholds import Thresholds

FIELDS = (
    "project_id",
    "name",
    "timezone",
    "stage",
    "external_id",
    "run_at",
    "mode",
    "overrides",
    "auto_approve",
)
REQUIRED = ("project_id", "name")
NAME_MAX = 200  # the customers table's name and external id columns
# The kinds that wait for the customer's consent, which a customer's policy may waive.
AUTO_APPROVABLE = frozenset({KIND_VALUE_PROPOSITIONS})
_RUN_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_KIND_SEPARATORS = re.compile(r"[\s,;]+")


def parse_run_at(value: str) -> time:
    """A local wall-clock time like 06:30; ValueError otherwise."""
    match = _RUN_AT.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a local time like 06:30")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class RowError:
    """One problem: the line of the file (or the project) and the field it is about."""

    where: str  # "line 3", or a project id for sync
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


@dataclass(frozen=True)
class CustomerRow:
    """A valid row; None means the row left the field out (a new customer takes the default, an existing
    one keeps its value; timezone and external id default to the project's)."""

    line: int
    project_id: str
    name: str
    timezone: str | None = None
    stage: Stage | None = None
    external_id: str | None = None
    run_at: time | None = None
    mode: CustomerMode | None = None
    overrides: dict[str, Any] | None = None
    auto_approve: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Defaults:
    thresholds: Thresholds
    run_at: time


def read_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], defaults: Defaults
) -> tuple[list[CustomerRow], list[RowError]]:
    """Every row validated; the same project, name or external id on two lines is an error on the second."""
    valid: list[CustomerRow] = []
    errors: list[RowError] = []
    first: dict[tuple[str, str], int] = {}
    for line, raw in rows:
        row, problems = _read_row(line, raw, defaults)
        errors += problems
        if row is None:
            continue
        keys = {("project_id", bare_id(row.project_id) or ""), ("name", row.name)}
        if row.external_id:
            keys.add(("external_id", row.external_id))
        clashes = sorted(key for key in keys if key in first)
        for name, value in clashes:
            errors.append(
                RowError(f"line {line}", name, f"{value!r} is already on line {first[(name, value)]}")
            )
        if clashes:
            continue
        first.update({key: line for key in keys})
        valid.append(row)
    return valid, errors


def _read_row(
    line: int, raw: Mapping[str, Any], defaults: Defaults
) -> tuple[CustomerRow | None, list[RowError]]:
    where = f"line {line}"
    errors = [
        RowError(where, key, f"unknown field; known: {', '.join(FIELDS)}") for key in raw if key not in FIELDS
    ]
    given = {key: value for key, value in raw.items() if key in FIELDS and not _blank(value)}
    errors += [RowError(where, key, "is required") for key in REQUIRED if key not in given]
    parsed: dict[str, Any] = {}
    for key, value in given.items():
        try:
            parsed[key] = _PARSERS[key](value, defaults)
        except ValueError as exc:
            errors.append(RowError(where, key, str(exc)))
    if errors:
        return None, errors
    return CustomerRow(line=line, **parsed), []


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, _: Defaults) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {type(value).__name__}")
    text = value.strip()
    if len(text) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    return text


def _choice(enum: type[Stage] | type[CustomerMode]) -> Any:
    def parse(value: Any, defaults: Defaults) -> Stage | CustomerMode:
        text = _text(value, defaults).lower()
        if text not in values(enum):
            raise ValueError(f"must be one of {', '.join(values(enum))}, got {text!r}")
        return enum(text)

    return parse


def _overrides(value: Any, defaults: Defaults) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError('must be a JSON object such as {"min_views": 100}') from None
    if not isinstance(value, dict):
        raise ValueError(f"must be an object of thresholds, got {type(value).__name__}")
    defaults.thresholds.with_overrides(value)  # the settings' own ranges (ValueError names the threshold)
    return dict(value)


def _kinds(value: Any, defaults: Defaults) -> tuple[str, ...]:
    kinds = _KIND_SEPARATORS.split(value.strip()) if isinstance(value, str) else value
    if not isinstance(kinds, list | tuple) or not all(isinstance(kind, str) for kind in kinds):
        raise ValueError("must be a list of recommendation kinds")
    unknown = sorted(set(kinds) - AUTO_APPROVABLE)
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)} cannot be auto-approved; allowed: {', '.join(sorted(AUTO_APPROVABLE))}"
        )
    return tuple(sorted(set(kinds)))


_PARSERS: dict[str, Callable[[Any, Defaults], Any]] = {
    "project_id": _text,
    "name": _text,
    "timezone": lambda value, d: validate_timezone(_text(value, d)),
    "stage": _choice(Stage),
    "external_id": _text,
    "run_at": lambda value, d: parse_run_at(_text(value, d)),
    "mode": _choice(CustomerMode),
    "overrides": _overrides,
    "auto_approve": _kinds,
}
