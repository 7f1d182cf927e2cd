"""`agent runs`, `agent clones`, `agent health`: what ops check every morning."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli import context
from agent.rules.health import evaluate
from agent.services import utc_now
from agent.store import reports

CustomerOption = Annotated[str | None, typer.Option(help="Name, external id, project id or id")]


def runs(
    customer: CustomerOption = None,
    loop: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Runs with their status and duration."""
    table = Table("run", "customer", "loop", "local date", "status", "attempts", "duration", "error")
    with context.friendly_errors(), context.database() as db, db.session() as session:
        for run, name in reports.runs(session, customer=customer, loop=loop, limit=limit):
            duration = (
                f"{(run.finished_at - run.started_at).total_seconds():.1f}s"
                if run.finished_at and run.started_at
                else "-"
            )
            table.add_row(
                str(run.id),
                escape(name),
                run.loop,
                str(run.local_date),
                run.status,
                str(run.attempts),
                duration,
                escape((run.error or "")[:60]),  # errors hold "[redacted]" and Layers' own words
            )
    context.console.print(table)


def clones(
    customer: CustomerOption = None,
    source: Annotated[str | None, typer.Option(help="Source platform post id")] = None,
) -> None:
    """Clone count per source post, and whether its cap is reached."""
    cap = context.settings().max_clones_per_source
    table = Table("customer", "source post", "clones", "failed/canceled", "cap", "last cloned")
    with context.friendly_errors(), context.database() as db, db.session() as session:
        for row in reports.clone_counts(session, customer=customer, source=source):
            status = "[red]reached[/red]" if row.counted >= cap else f"{row.counted}/{cap}"
            table.add_row(
                escape(row.customer),
                escape(row.source_post_id),
                str(row.counted),
                str(row.uncounted),
                status,
                f"{row.last_cloned_at:%Y-%m-%d %H:%M}",
            )
    context.console.print(table)


def health() -> None:
    """Check the monitoring signals; exits 1 when any threshold is crossed (for alerting)."""
    thresholds = context.settings().health_thresholds()
    with context.database() as db, db.session() as session:
        signals = evaluate(reports.health_inputs(session, now=utc_now()), thresholds)
    if not signals:
        context.console.print("[green]healthy[/green]: no signal crossed its threshold")
        return
    table = Table("customer", "signal", "detail", title="health signals")
    for signal in signals:
        table.add_row(escape(signal.name), signal.signal, escape(signal.detail))
    context.console.print(table)
    raise typer.Exit(1)
