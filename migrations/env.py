"""Alembic environment: the URL and the ops role's name come from the caller (or the settings, read when a
migration runs), never from alembic.ini and never at import. The migrations read the role's name from
`context.config.attributes["ops_role"]`, so they never import live code."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from agent.store.db import make_engine
from agent.store.models import Base


def _setting(name: str) -> str:
    given = context.config.attributes.get(name)
    if given:
        return str(given)
    from agent.config import get_settings

    return str(getattr(get_settings(), name))


def _url() -> str:
    return _setting("database_url")


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
    context.config.attributes["ops_role"] = _setting("ops_role")
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
        if conn.dialect.name == "sqlite":
            # Batch mode rebuilds a table by copy, drop and rename; with foreign keys on, SQLite would first
            # delete the rows of a table that other rows still reference, and refuse.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        _run(conn)
    engine.dispose()


run_migrations()
