"""The one paginator every list endpoint uses: `{"items", "nextCursor"}` over a filtered, sorted list.

The contract has two cursor spellings, so the paginator takes the cursor as a strategy: most lists
hand out an opaque cursor bound to the query (one from another query, or a forged one, is a 422);
ads-content hands out the last row's raw UUID, and an unknown one means the first page
(docs/reference-ads-content.txt).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest
from agent.sandbox.errors import validation
from agent.sandbox.params import q_int, q_str

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Cursor(Protocol[T_contra]):
    def start(self, raw: str | None, rows: Sequence[T_contra]) -> int:
        """Index of the first row of the page `raw` points at."""
        ...

    def after(self, rows: Sequence[T_contra], end: int) -> str:
        """The cursor of the page that starts at `end`."""
        ...


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None

    def body(self, render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        return {"items": [render(item) for item in self.items], "nextCursor": self.next_cursor}


def paginate(
    rows: Sequence[T], req: ApiRequest, cursor: Cursor[T], *, default_limit: int, max_limit: int
) -> Page[T]:
    limit = q_int(req, "limit", default_limit, 1, max_limit)
    start = cursor.start(q_str(req, "cursor"), rows)
    end = start + limit
    return Page(list(rows[start:end]), cursor.after(rows, end) if end < len(rows) else None)


class QueryCursor:
    """An opaque offset bound to the path plus every filter and the sort."""

    def __init__(self, req: ApiRequest, ignore: Iterable[str] = ("cursor", "limit")) -> None:
        skip = set(ignore)
        self.bind = json.dumps(
            [req.path, sorted((k, tuple(v)) for k, v in req.query.items() if k not in skip)]
        )

    def start(self, raw: str | None, rows: Sequence[object]) -> int:
        if raw is None:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4)))
            offset = data["offset"]
            same_query = data["q"] == self.bind
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise validation([("cursor", "Malformed cursor.")]) from None
        if not isinstance(offset, int) or offset < 0 or not same_query:
            raise validation([("cursor", "Cursor does not belong to this query.")])
        return offset

    def after(self, rows: Sequence[object], end: int) -> str:
        raw = json.dumps({"offset": end, "q": self.bind}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode()


class RowIdCursor(Generic[T]):
    """The last row's raw UUID; a cursor that is not one of the rows starts from the top."""

    def __init__(self, row_id: Callable[[T], str]) -> None:
        self.row_id = row_id

    def start(self, raw: str | None, rows: Sequence[T]) -> int:
        if not raw or not ids.is_uuid(raw):
            return 0
        wanted = raw.lower()
        position = next((i for i, row in enumerate(rows) if self.row_id(row) == wanted), None)
        return position + 1 if position is not None else 0

    def after(self, rows: Sequence[T], end: int) -> str:
        return self.row_id(rows[end - 1])
