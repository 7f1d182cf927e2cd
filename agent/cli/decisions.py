"""`agent decisions`: the decision table, filtered the ways ops ask about it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from agent.cli import choices, context, when
from agent.cli.output import Format, ListFormat, emit_list
from agent.cli.render import COLUMNS, decision_lines, decision_row

CustomerOption = Annotated[str | None, typer.Option(help="Name, external id, project id or id")]
WHEN_HELP = "7d, 24h, 30m, 1w, today, yesterday, a date (UTC) or an ISO time"


def decisions(
    customer: CustomerOption = None,
    loop: Annotated[
        str | None, typer.Option(help="publish-to-learn, optimization, weekly-review or configuration")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="A known action, e.g. clone, skip, pending_approval")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="A known reason, e.g. breakout, not_breakout")] = None,
    subject: Annotated[
        str | None, typer.Option(help="A subject id (post, ad, recommendation), with or without its prefix")
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="Only this run's decisions")] = None,
    since: Annotated[str | None, typer.Option(help=f"From: {WHEN_HELP}")] = None,
    until: Annotated[str | None, typer.Option(help=f"Before: {WHEN_HELP} (a date: up to its end)")] = None,
    local_date: Annotated[
        str | None,
        typer.Option("--local-date", help="The customer's own calendar day: today, yesterday or YYYY-MM-DD"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
    wide: Annotated[bool, typer.Option("--wide", help="Every column in full (lines may be long)")] = False,
    fmt: ListFormat = Format.TABLE,
    as_json: Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json")] = False,
) -> None:
    """Recent decisions, newest first: one line each, with what became of it (its outcome)."""
    from agent.rules.schedule import local_date as today_in
    from agent.store import customers, decision_outcomes, reports

    now = datetime.now(UTC)
    with context.reading() as session:
        target = customers.find(session, ref=customer) if customer else None
        zones = [target.timezone] if target else customers.timezones(session)
        query = reports.DecisionQuery(
            customer_id=target.id if target else None,
            loop=choices.loop(loop) if loop else None,
            action=choices.action(action) if action else None,
            reason=choices.reason(reason) if reason else None,
            subject=subject,
            run_id=run,
            since=when.instant("--since", since, now=now) if since else None,
            until=when.instant("--until", until, now=now, end_of_day=True) if until else None,
            local_windows=tuple(
                (
                    tz,
                    *when.day_bounds(when.local_day("--local-date", local_date, today=today_in(now, tz)), tz),
                )
                for tz in zones
            )
            if local_date
            else (),
        )
        found, total = reports.decisions(session, query=query, limit=limit)
        names = reports.customer_names(session)
        done = decision_outcomes.of(session, found)
    fmt = Format.JSON if as_json else fmt
    shown = f"showing {len(found)} of {total} (raise --limit for more)" if total > len(found) else ""
    if shown and fmt is not Format.TABLE:
        typer.echo(shown, err=True)

    def table() -> None:
        of = f" of {target.name}" if target else ""
        heading = f"decisions{of}: {shown}" if shown else f"decisions{of}: {total}"
        lines = decision_lines(
            found,
            names=names,
            outcomes=done,
            width=None if wide else context.width(),
            show_customer=target is None,
        )
        for line in [heading, *lines]:
            typer.echo(line)

    emit_list(
        [decision_row(d, names.get(d.customer_id), done) for d in found],
        fmt,
        columns=COLUMNS,
        table=table,
        empty="no decisions match" + (" these filters" if any(vars(query).values()) else ""),
    )
