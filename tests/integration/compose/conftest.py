"""Fixtures of the compose tests: the compose file as Compose reads it, and its services running here."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.integration.compose.local_stack import Stack
from tests.support.compose import load_compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose["services"]
    return services


@contextmanager
def empty_database(database_url: str) -> Iterator[str]:
    """A new, empty database on the test server: what the postgres container starts with."""
    name = f"agent_compose_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def stack(
    compose: dict[str, Any], database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Every service of the compose file up, in depends_on order, on a fresh database."""
    shared_redis_url = os.environ.get("TEST_REDIS_URL")
    if not shared_redis_url and shutil.which("redis-server") is None:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with scripts/test (it starts Redis)")
    with empty_database(database_url) as url:
        running = Stack(
            compose,
            database_url=url,
            shared_redis_url=shared_redis_url,
            workdir=tmp_path_factory.mktemp("compose"),
        )
        try:
            running.up()
            yield running
        finally:
            running.down()
