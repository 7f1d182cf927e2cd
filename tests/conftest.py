"""Fixtures shared by every test: a fresh PostgreSQL database per session, truncated between tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent.store import migrate
from agent.store.db import Database
from agent.store.models import VOCABULARY_TABLES, Base

pytest_plugins = ("tests.support.fixtures",)

ADMIN_URL_ENV = "TEST_DATABASE_URL"


def _admin_url() -> str:
    url = os.environ.get(ADMIN_URL_ENV)
    if not url:
        pytest.fail(f"{ADMIN_URL_ENV} is not set: run the suite with scripts/test (it starts PostgreSQL)")
    return url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A brand-new PostgreSQL database migrated to head, dropped at the end of the session."""
    admin_url = _admin_url()
    name = f"agent_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The session database, emptied after each test (TRUNCATE skips the append-only row trigger).

    The vocabulary tables are reference data seeded by the migrations: they stay.
    """
    database = Database.from_url(database_url)
    yield database
    reference = {model.__tablename__ for model in VOCABULARY_TABLES.values()}
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in reference)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()
