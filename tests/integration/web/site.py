"""The web decision log served for real in a test: uvicorn in a background thread on a free port, reading
as a fresh login role in the read-only `agent_ops` role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent.config import Settings, load_settings
from agent.store.readonly import ReadOnlyDatabase
from agent.web.app import create_app
from tests.support.asgi import serve_asgi


@contextmanager
def ops_login(database_url: str) -> Iterator[str]:
    """A database URL for a new login role that holds nothing but agent_ops' rights."""
    role, password = f"web_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE agent_ops"))
    try:
        yield (
            make_url(database_url).set(username=role, password=password).render_as_string(hide_password=False)
        )
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


@contextmanager
def serve_web(database_url: str, settings: Settings, clock: Callable[[], datetime]) -> Iterator[str]:
    """The web app on uvicorn, reading through `database_url`; yields its base URL."""
    db = ReadOnlyDatabase.from_url(database_url)
    try:
        with serve_asgi(create_app(db, settings, now=clock), name="web app") as url:
            yield url
    finally:
        db.dispose()


def web_settings(database_url: str, **overrides: object) -> Settings:
    return load_settings(_env_file=None, database_url=database_url, **overrides)
