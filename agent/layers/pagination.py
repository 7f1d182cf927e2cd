"""Cursor pagination: one walker for every list endpoint, and `iter_*` methods derived from `list_*`.

A list method takes its filters once, `cursor` among them; `paginated(list_method, route)` turns it into
the method that yields every item of every page, with exactly the same parameters (there `cursor` is
where to start). So no iterator restates, or can drift from, the filters of its list endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, TypeVar

from agent.layers.errors import ContractError
from agent.layers.models import LayersModel, Page
from agent.layers.routes import Route

Client = TypeVar("Client")
Filters = ParamSpec("Filters")
Item = TypeVar("Item", bound=LayersModel)


def iterate_items(fetch: Callable[[str | None], Page[Item]], *, endpoint: str) -> Iterator[Item]:
    """Every item of every page, `fetch(None)` first; a repeated cursor is a server bug, not an endless loop."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        if page.next_cursor in seen:
            raise ContractError(endpoint, "nextCursor", "repeats an earlier cursor")
        seen.add(page.next_cursor)
        cursor = page.next_cursor


def paginated(
    list_page: Callable[Concatenate[Client, Filters], Page[Item]], route: Route
) -> Callable[Concatenate[Client, Filters], Iterator[Item]]:
    """The iterator method of the list method `list_page`, which must take a `cursor` keyword."""

    def iterate(client: Client, /, *args: Filters.args, **kwargs: Filters.kwargs) -> Iterator[Item]:
        def fetch(cursor: str | None) -> Page[Item]:
            if cursor is not None:  # the first page is the one the caller asked for
                kwargs["cursor"] = cursor
            return list_page(client, *args, **kwargs)

        return iterate_items(fetch, endpoint=route.name)

    iterate.__doc__ = f"Every item of every page of `{list_page.__name__}`, from `cursor` on."
    return iterate
