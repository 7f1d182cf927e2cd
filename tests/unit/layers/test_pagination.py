"""The one cursor walker: every item of every page, and never an endless loop."""

from __future__ import annotations

import pytest

from agent.layers import errors
from agent.layers.models import Project, ProjectPage
from agent.layers.pagination import iterate_items


def project(n: int) -> Project:
    return Project(id=f"prj_{n}", name="Acme")


def pages(chain: dict[str | None, tuple[list[int], str | None]]):
    """A fetch function over {cursor: (item numbers, next cursor)}, recording what it was asked."""
    asked: list[str | None] = []

    def fetch(cursor: str | None) -> ProjectPage:
        asked.append(cursor)
        numbers, next_cursor = chain[cursor]
        return ProjectPage(items=[project(n) for n in numbers], next_cursor=next_cursor)

    return fetch, asked


def test_every_item_of_every_page_in_order():
    fetch, asked = pages({None: ([1, 2], "a"), "a": ([], "b"), "b": ([3], None)})
    assert [p.id for p in iterate_items(fetch, endpoint="GET /v1/projects")] == ["prj_1", "prj_2", "prj_3"]
    assert asked == [None, "a", "b"]


def test_a_cycle_longer_than_one_page_is_a_contract_error():
    fetch, asked = pages({None: ([1], "a"), "a": ([2], "b"), "b": ([3], "a")})
    items = iterate_items(fetch, endpoint="GET /v1/projects")
    with pytest.raises(errors.ContractError) as caught:
        list(items)
    assert (caught.value.endpoint, caught.value.field) == ("GET /v1/projects", "nextCursor")
    assert caught.value.message == "GET /v1/projects: field 'nextCursor' repeats an earlier cursor"
    assert asked == [None, "a", "b"]
