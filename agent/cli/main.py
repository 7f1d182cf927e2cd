"""The `agent` command: ops tooling over the decision table, and the worker's controls."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli import consent, context, customers, demo, explain, ops, processes, running
from agent.cli.render import decision_row, decisions_table, json_lines
from agent.logging import configure_logging
from agent.store import reports

app = typer.Typer(
    help="The growth agent: publish-to-learn and optimization loops on Layers.", no_args_is_help=True
)
app.add_typer(customers.app, name="customers")
app.command("run")(running.run_command)
app.command("approve")(consent.approve)
app.command("reject")(consent.reject)
app.command("pending")(consent.pending)
app.command("worker", context_settings=processes.PASSTHROUGH)(processes.worker)
app.command("beat", context_settings=processes.PASSTHROUGH)(processes.beat)
app.command("flower", context_settings=processes.PASSTHROUGH)(processes.flower)
app.command("sandbox")(processes.sandbox)
app.command("explain")(explain.explain)
app.command("runs")(ops.runs)
app.command("clones")(ops.clones)
app.command("health")(ops.health)
app.command("demo")(demo.demo)


@app.callback()
def main() -> None:
    """Configure logging once for every command."""
    settings = context.settings()
    configure_logging(settings.log_level if settings.log_level != "INFO" else "WARNING", settings.log_format)


@app.command("migrate")
def migrate() -> None:
    """Upgrade the database to the latest schema (alembic upgrade head)."""
    from agent.store import migrate as migrations

    migrations.upgrade(context.settings().database_url)
    context.console.print("database is up to date")


@app.command("ping")
def ping() -> None:
    """Exit 0 when the database (and Redis, when configured) answer: the container healthcheck."""
    settings = context.settings()
    with context.database() as db:
        db.ping()
    if settings.redis_url:
        import redis

        redis.Redis.from_url(settings.redis_url, socket_timeout=5).ping()
    context.console.print("ok")


@app.command("decisions")
def list_decisions(
    customer: Annotated[str | None, typer.Option(help="Name, external id, project id or id")] = None,
    loop: Annotated[str | None, typer.Option(help="publish_to_learn | optimization | weekly_review")] = None,
    action: Annotated[str | None, typer.Option()] = None,
    reason: Annotated[str | None, typer.Option()] = None,
    subject: Annotated[str | None, typer.Option(help="Subject id, e.g. a platform post id")] = None,
    since: Annotated[str | None, typer.Option(help="7d, 24h, or a date YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Recent decisions, newest first."""
    with context.friendly_errors(), context.database() as db, db.session() as session:
        found = reports.decisions(
            session,
            customer=customer,
            loop=loop,
            action=action,
            reason=reason,
            subject=subject,
            since=reports.parse_since(since) if since else None,
            limit=limit,
        )
        names = reports.customer_names(session)
        if as_json:
            typer.echo(
                json_lines(decision_row(d, names.get(d.customer_id)) for d in found) or "", nl=bool(found)
            )
            return
        context.console.print(decisions_table(found, names=names))
