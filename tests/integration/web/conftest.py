"""Fixtures for the web decision log on a real PostgreSQL: a login in the read-only ops role, and the app
served over HTTP as that role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.integration.web.site import ops_login, serve_web, web_settings


@pytest.fixture
def ops_url(database_url: str) -> Iterator[str]:
    with ops_login(database_url) as url:
        yield url


@pytest.fixture
def site(db, database_url: str, ops_url: str) -> Iterator[str]:
    """The web log on the session database, read as the ops role, without auth (loopback)."""
    with serve_web(ops_url, web_settings(database_url), lambda: datetime.now(UTC)) as base:
        yield base
