"""Alembic environment: the URL comes from the caller (or the settings, read when a migration runs), never
from alembic.ini and never at import."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from agent.store.db import make_engine
from agent.store.models import Base


def _url() -> str:
    given = context.config.attributes.get("database_url")
    if given:
        return str(given)
    from agent.config import get_settings

    return get_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations()
