"""`agent health`: the agent's own pulse (beat, the dispatcher, failed or stuck runs) and the Layers-side
signals per customer. Exit 0 when healthy, 1 when any signal fires (for cron and alerting)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from agent.cli import context
from agent.cli.output import DocumentFormat, Format, emit_document

COLUMNS = ("scope", "customer_id", "customer", "signal", "detail")


def health(
    customer: Annotated[
        str | None, typer.Option(help="Only this customer (and the agent's own signals)")
    ] = None,
    fmt: DocumentFormat = Format.TABLE,
) -> None:
    """Check the monitoring signals; exits 1 when any threshold is crossed (for alerting).

    `--format json` is one document: `healthy`, `signals` and the agent's pulse.
    """
    from agent.rules.agent_health import Intervals, evaluate_agent, stuck_cutoffs
    from agent.rules.health import evaluate
    from agent.services import utc_now
    from agent.store import agent_pulse, customers, reports

    settings = context.settings()
    now = utc_now()
    intervals = Intervals(
        settings.dispatch_interval_s, settings.sweep_interval_s, settings.visibility_timeout_s
    )
    with context.reading() as session:
        target = customers.find(session, ref=customer) if customer else None
        customer_id = target.id if target else None
        pulse = agent_pulse.pulse(
            session, now=now, cutoffs=stuck_cutoffs(now, intervals), customer_id=customer_id
        )
        inputs = [c for c in reports.health_inputs(session, now=now) if customer_id in (None, c.customer_id)]
    signals: list[dict[str, Any]] = [
        {"scope": "agent", "customer_id": customer_id, "customer": target.name if target else None, **vars(s)}
        for s in evaluate_agent(pulse, intervals)
    ]
    signals += [
        {
            "scope": "customer",
            "customer_id": s.customer_id,
            "customer": s.name,
            "signal": s.signal,
            "detail": s.detail,
        }
        for s in evaluate(inputs, settings.health_thresholds())
    ]
    document = {
        "healthy": not signals,
        "checked_at": now,
        "signals": signals,
        "agent": {
            "last_dispatch": pulse.last_dispatch,
            "last_sweep": pulse.last_sweep,
            "failed_runs_last_day": pulse.failed_runs,
            "stuck_runs": pulse.stuck_runs,
        },
    }

    def table() -> None:
        if not signals:
            typer.echo("healthy: no signal crossed its threshold")
            return
        from agent.cli.layout import Column, render

        columns = [
            Column("scope", [s["scope"] for s in signals], 0),
            Column("customer", [s["customer"] or "-" for s in signals], 2, flexible=True),
            Column("signal", [s["signal"] for s in signals], 1),
            Column("detail", [s["detail"] for s in signals], 3, flexible=True),
        ]
        typer.echo(f"health: {len(signals)} signal(s)")
        for line in render(columns, context.width(), len(signals)):
            typer.echo(line)

    if fmt is Format.CSV:
        from agent.cli.output import csv_text

        typer.echo(csv_text(signals, COLUMNS), nl=False)
    else:
        emit_document(document, fmt, table=table, columns=COLUMNS)
    if signals:
        raise typer.Exit(1)
