"""`agent migrate`, `agent ops-role`, `agent ping`: the database's schema and roles, and the healthcheck."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli import context
from agent.cli.exits import BadInput


def migrate() -> None:
    """Upgrade the database to the latest schema (alembic upgrade head).

    Needs a login that owns the schema (CREATE on it). The read-only ops role (OPS_ROLE) is created only when
    it is missing; a DBA can create it beforehand with the SQL of `agent ops-role --print-sql`.
    """
    from agent.store import migrate as migrations

    settings = context.settings()
    migrations.upgrade(settings.database_url, ops_role=settings.ops_role)
    context.console.print("database is up to date")


def ops_role(
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Print the SQL for a DBA instead of running it")
    ] = False,
) -> None:
    """Create the read-only ops role (OPS_ROLE) and its settings; needs CREATEROLE unless it exists.

    `agent migrate` grants the role SELECT on the tables it creates; run this first when the login that
    migrates may not create roles, or hand the `--print-sql` output to a DBA.
    """
    from agent.store import ops_role as role

    settings = context.settings()
    if print_sql:
        typer.echo(role.setup_sql(settings.ops_role))
        return
    if not settings.database_url.startswith("postgresql"):
        raise BadInput("the ops role is PostgreSQL-only: DATABASE_URL is not a postgresql:// URL")
    with context.database() as db:
        done = role.ensure(db.engine, name=settings.ops_role)
    context.console.print(
        f"ops role {settings.ops_role}: " + ("; ".join(done) if done else "already in place")
    )


def ping() -> None:
    """Exit 0 when the database (and Redis, when configured) answer: the container healthcheck."""
    settings = context.settings()
    with context.database(read_only=True) as db:
        db.ping()
    if settings.redis_url:
        import redis

        redis.Redis.from_url(settings.redis_url, socket_timeout=5).ping()
    context.console.print("ok")
