"""`--format table|json|csv` for every read command: one way to print a list or a document.

A list prints as JSON lines (one object per line, nothing when empty) or as CSV (a header, then a row per
item; nested values as JSON); a single document prints as one JSON object. The table is the command's own.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

import typer

from agent.cli import context


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


ListFormat = Annotated[
    Format,
    typer.Option(
        "--format", help="table, json (JSON lines: one object per line) or csv (a header, then one row each)"
    ),
]
DocumentFormat = Annotated[
    Format, typer.Option("--format", help="table, json (one JSON document) or csv (a header and one row)")
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def to_json(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(value, sort_keys=True, default=_plain, indent=indent)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        return to_json(value)
    plain = _plain(value) if not isinstance(value, str | int | float | bool) else value
    return str(plain)


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def emit_list(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    columns: Sequence[str],
    table: Callable[[], None],
    empty: str,
) -> None:
    """Print the rows in the chosen format; the table (or `empty` when there is nothing) is the default."""
    if fmt is Format.JSON:
        for row in rows:
            typer.echo(to_json(row))
    elif fmt is Format.CSV:
        typer.echo(csv_text(rows, columns), nl=False)
    elif rows:
        table()
    else:
        context.console.print(empty, markup=False, highlight=False)


def emit_document(
    document: Mapping[str, Any],
    fmt: Format,
    *,
    table: Callable[[], None],
    columns: Sequence[str],
    row: Mapping[str, Any] | None = None,
) -> None:
    """One document: a JSON object, a CSV header and one row (`row`, else the document), or the table."""
    if fmt is Format.JSON:
        typer.echo(to_json(document, indent=2))
    elif fmt is Format.CSV:
        typer.echo(csv_text([document if row is None else row], columns), nl=False)
    else:
        table()
