"""`agent capacity`: how many customers this API key can serve per day, and when today's last run should end
in each timezone, from the tier settings and the calls measured on recorded runs (the rule:
`agent.rules.capacity`). Exit 1 when demand exceeds the quota in the daily window (cron or alerting can run
it), 75 while no run has been measured yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from agent.capacity import Measured, measure
from agent.cli import context
from agent.cli.exits import EXIT_FAILED, Temporary
from agent.cli.output import DocumentFormat, Format, emit_document
from agent.rules.capacity import MEASURED_DAYS, ZoneFinish

COLUMNS = ("customers_per_day", "binding_class", "customers", "over_quota", "measured_since")


def capacity(
    days: Annotated[
        int, typer.Option(min=1, max=90, help="Measure on the runs of the last N days")
    ] = MEASURED_DAYS,
    fmt: DocumentFormat = Format.TABLE,
) -> None:
    """Customers per day this key can serve, and today's finish per timezone; exit 1 when over the quota."""
    settings = context.settings()
    with context.database(read_only=True) as db:
        measured = measure(db, settings, datetime.now(UTC), days=days)
    if not measured.runs:
        raise Temporary(
            f"no run since {measured.since} has recorded Layers calls: capacity is measured on recorded runs, "
            "try again once the customers' daily runs have run"
        )
    document = _document(measured)
    emit_document(document, fmt, table=lambda: _print(measured), columns=COLUMNS)
    if measured.capacity.over_quota:
        raise typer.Exit(EXIT_FAILED)


def _document(measured: Measured) -> dict[str, Any]:
    capacity = measured.capacity
    return {
        "customers_per_day": capacity.customers_per_day,
        "binding_class": capacity.binding_class,
        "customers": capacity.customers,
        "over_quota": capacity.over_quota,
        "measured_since": measured.since,
        "measured_runs": dict(measured.runs),
        "rate_limited_share": measured.rate_limited_share,
        "rates_per_minute": dict(capacity.rates),
        "calls_per_customer_day": dict(capacity.per_customer_day),
        "demand_share": dict(capacity.demand_share),
        "zones": [
            {
                "timezone": zone.timezone,
                "customers": zone.customers,
                "first_due_at": zone.first_due_at,
                "finish_at": zone.finish_at,
                "day_ends_at": zone.day_ends_at,
                "late": zone.late,
            }
            for zone in capacity.zones
        ],
    }


def _print(measured: Measured) -> None:
    capacity, out = measured.capacity, context.console
    rates = ", ".join(f"{c} {rate}" for c, rate in capacity.rates.items())
    out.print(f"quota per minute (RATE_*_PER_MIN): {rates}", markup=False)
    runs = ", ".join(f"{loop} {n}" for loop, n in measured.runs.items())
    refused = f"; 429s {measured.rate_limited_share:.2%}" if measured.rate_limited_share is not None else ""
    out.print(f"measured on runs since {measured.since}: {runs}{refused}", markup=False)
    per_day = ", ".join(f"{c} {calls:.2f}" for c, calls in capacity.per_customer_day.items())
    out.print(f"calls per customer-day: {per_day}", markup=False)
    if capacity.customers_per_day is not None:
        used = capacity.customers / capacity.customers_per_day if capacity.customers_per_day else float("inf")
        out.print(
            f"capacity: {capacity.customers_per_day:,} customers per day ({capacity.binding_class} binds); "
            f"{capacity.customers:,} enabled customers use {used:.1%} of it",
            markup=False,
        )
    if capacity.zones:
        table = Table("timezone", "customers", "first run due", "last run should end", "to local midnight")
        for zone in capacity.zones:
            table.add_row(
                zone.timezone,
                str(zone.customers),
                _local(zone.first_due_at, zone),
                _local(zone.finish_at, zone),
                _margin(zone.day_ends_at - zone.finish_at),
            )
        out.print(table)
    late = ", ".join(zone.timezone for zone in capacity.late_zones)
    over = [c for c, share in capacity.demand_share.items() if share > 1]
    if late:
        out.print(f"over capacity: today's last run would end after local midnight in {late}", markup=False)
    if over:
        out.print(f"over capacity: today's {', '.join(over)} calls exceed a day of quota", markup=False)


def _local(moment: datetime, zone: ZoneFinish) -> str:
    local = moment.astimezone(ZoneInfo(zone.timezone))
    return f"{local:%a %H:%M}"


def _margin(delta: timedelta) -> str:
    sign, seconds = ("-" if delta < timedelta(0) else ""), abs(int(delta.total_seconds()))
    return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m"
