"""`agent run LOOP --customer X`: run a loop now, synchronously, exactly as the worker would."""

from __future__ import annotations

import time as clock
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli import context
from agent.cli.render import decisions_table
from agent.loops import catalog, follow
from agent.loops import publish_to_learn as ptl
from agent.rules.schedule import local_date
from agent.services import Services
from agent.store import customers, decisions, jobs, runs


class LoopName(StrEnum):
    publish_to_learn = "publish-to-learn"
    optimization = "optimization"
    weekly_review = "weekly-review"

    @property
    def table_name(self) -> str:
        return self.value.replace("-", "_")


def wait_for_jobs(services: Services, customer_id: int) -> None:
    """Poll this customer's jobs until none is running (ops command: waiting in the foreground is fine)."""
    with context.console.status("following jobs…"):
        while True:
            with services.db.session() as session:
                if not jobs.running(session, customer_id=customer_id):
                    return
            follow.poll_due(services)
            clock.sleep(min(services.settings.poller_tick_s, 1.0))


def run_command(
    loop: Annotated[LoopName, typer.Argument(help="Which loop to run")],
    customer: Annotated[str, typer.Option(help="Name, external id, Layers project id or numeric id")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the jobs it starts to the end")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate and print; record and send nothing")
    ] = False,
) -> None:
    """Run a loop for one customer now, and print its decisions."""
    with context.services() as services:
        with context.friendly_errors(), services.db.session() as session:
            target = customers.find(session, customer)
            customer_id, name, tz = target.id, target.name, target.timezone
        if dry_run:
            _dry_run(services, customer_id, loop)
            return
        today = local_date(services.now(), tz)
        with services.db.session() as session:
            run = runs.ensure(
                session, customer_id=customer_id, loop=loop.table_name, local_date=today, trigger="manual"
            )
            run_id = run.id
        outcome = catalog.execute(services, run_id)
        if wait:
            wait_for_jobs(services, customer_id)
        with services.db.session() as session:
            recorded = decisions.for_run(session, run_id)
            status = runs.get(session, run_id).status
            context.console.print(
                decisions_table(recorded, title=f"{name}: {loop.value} run {run_id} ({status})")
            )
    if outcome.status == "not_claimed":
        context.console.print(f"run {run_id} was not started: {outcome.reason}")
    if status == "failed":
        raise typer.Exit(1)


def _dry_run(services: Services, customer_id: int, loop: LoopName) -> None:
    if loop is not LoopName.publish_to_learn:
        raise context.fail("--dry-run is available for publish-to-learn")
    with services.db.session() as session:
        target = customers.get(session, customer_id)
    plan, _, policy = ptl.preview(services, target)
    table = Table(
        "would", "reason", "post", "engagement", "views", "clone #", title=f"dry run ({policy.rule_version})"
    )
    for outcome in plan.outcomes:
        evidence = outcome.evidence
        table.add_row(
            outcome.action,
            outcome.reason,
            escape(outcome.platform_post_id or "-"),
            _fmt(evidence.get("engagement_rate")),
            _fmt(evidence.get("views")),
            _fmt(evidence.get("clone_number")),
        )
    context.console.print(table)
    median = plan.summary.get("median_engagement_rate")
    context.console.print(
        f"posts seen {plan.summary['posts_seen']}, eligible {plan.summary['posts_eligible']}, "
        f"median {_fmt(median)}; nothing was recorded or sent"
    )


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
