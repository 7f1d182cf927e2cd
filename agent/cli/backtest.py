"""`agent backtest`: the recorded publish-to-learn days replayed through the pure rules with changed
thresholds, and every decision that would differ (`agent.rules.backtest`). It calls no API and writes
nothing; with no `--set` it must give back exactly what the days decided.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from agent.cli import context, when
from agent.cli.exits import BadInput
from agent.cli.output import Format, ListFormat, emit_list

COLUMNS = ("customer", "customer_id", "local_date", "post_id", "recorded", "replayed", "clone")


def parse_changes(pairs: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs (VALUE a number) checked against the thresholds' names and ranges."""
    from agent.rules.thresholds import Thresholds

    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--set {pair!r}: use KEY=VALUE, e.g. --set min_views=100")
        try:
            changes[key.strip()] = json.loads(raw)
        except ValueError:
            raise BadInput(f"--set {pair!r}: VALUE must be a number") from None
    try:
        Thresholds().with_overrides(changes)
    except ValueError as exc:
        raise BadInput(f"--set: {exc}") from None
    return changes


def backtest(
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A changed threshold, KEY=VALUE (repeatable), e.g. --set min_views=100"),
    ] = None,
    since: Annotated[str, typer.Option(help="The recorded days since then: 30d, 7d, a date")] = "30d",
    customer: Annotated[str | None, typer.Option(help="Name, external id, project id or id")] = None,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Replay the recorded days with changed thresholds; list every decision that would differ, with totals."""
    from agent.rules.backtest import replay
    from agent.store import customers, reports, verdicts

    with context.friendly_errors():
        changes = parse_changes(set_ or [])
        first = when.instant("--since", since, now=datetime.now(UTC)).date()
    with context.reading() as session:
        target = customers.find(session, ref=customer).id if customer else None
        days = verdicts.recorded_days(session, customer_id=target, since=first)
        names = reports.customer_names(session)
    report = replay(days, changes)
    rows = [
        {
            "customer": names.get(d.customer_id),
            "customer_id": d.customer_id,
            "local_date": d.local_date,
            "post_id": d.post_id,
            "recorded": d.recorded,
            "replayed": d.replayed,
            "clone": "added" if d.clone_added else "removed" if d.clone_removed else None,
        }
        for d in report.differences
    ]
    shown = ", ".join(f"{k}={v}" for k, v in changes.items()) or "no change"
    summary = (
        f"{report.days} recorded days since {first} replayed with {shown}: {len(rows)} decisions differ, "
        f"{report.clones_added} clones added, {report.clones_removed} removed"
    )
    if fmt is not Format.TABLE:
        typer.echo(summary, err=True)

    def table() -> None:
        typer.echo(summary)
        for row in rows:
            change = f" ({row['clone']} clone)" if row["clone"] else ""
            typer.echo(
                f"{row['local_date']}  {row['customer']}  {row['post_id']}  "
                f"{row['recorded'] or '-'} -> {row['replayed'] or '-'}{change}"
            )
        for customer_id, totals in sorted(report.totals.items()):
            typer.echo(
                f"{names.get(customer_id)}: {totals.days} days, {totals.changed} decisions differ, "
                f"+{totals.clones_added} clones, -{totals.clones_removed} clones"
            )

    emit_list(rows, fmt, columns=COLUMNS, table=table, empty=summary)
