"""`agent run LOOP --customer X`: run a loop now, synchronously, exactly as the worker would."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli import context
from agent.cli.render import decisions_table
from agent.domain.decisions import Decided
from agent.domain.evidence import PostVerdict, PublishSummary
from agent.domain.vocabulary import LoopName, Reason, Trigger
from agent.loops import catalog, job_poller
from agent.loops.runner import Ended, preview
from agent.rules.schedule import local_date
from agent.services import Services
from agent.store import customers, decisions, jobs, runs


def wait_for_jobs(services: Services, customer_id: int) -> None:
    """Poll this customer's jobs until none is running (ops command: waiting in the foreground is fine)."""
    with context.console.status("following jobs…"):
        while True:
            with services.db.session() as session:
                if not jobs.running_count(session, customer_id=customer_id):
                    return
            job_poller.poll_due(services)
            time.sleep(min(services.settings.poller_tick_s, 1.0))


def run_command(
    loop: Annotated[str, typer.Argument(help="publish-to-learn | optimization | weekly-review")],
    customer: Annotated[str, typer.Option(help="Name, external id, Layers project id or numeric id")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the jobs it starts to the end")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate and print; record and send nothing")
    ] = False,
) -> None:
    """Run a loop for one customer now, and print its decisions."""
    with context.friendly_errors():
        loop_name = LoopName.parse(loop)
    with context.services() as services:
        with context.friendly_errors(), services.db.session() as session:
            target = customers.find(session, ref=customer)
            customer_id, name, tz = target.id, target.name, target.timezone
        if dry_run:
            _dry_run(services, customer_id, loop_name)
            return
        today = local_date(services.now(), tz)
        with services.db.session() as session:
            run_id = runs.ensure(
                session, customer_id=customer_id, loop=loop_name, local_date=today, trigger=Trigger.MANUAL
            ).id
        outcome = catalog.run(services, run_id)
        if wait:
            wait_for_jobs(services, customer_id)
        with services.db.session() as session:
            recorded = decisions.for_run(session, run_id=run_id)
            run = runs.get(session, run_id=run_id)
            status = run.status if run is not None else "unknown"
            context.console.print(
                decisions_table(recorded, title=f"{name}: {loop_name.label} run {run_id} ({status})")
            )
    if outcome.status is Ended.NOT_CLAIMED:
        context.console.print(f"run {run_id} was not started: {outcome.reason}")
    if status == "failed":
        raise typer.Exit(1)


def _dry_run(services: Services, customer_id: int, loop: LoopName) -> None:
    if loop is not LoopName.PUBLISH_TO_LEARN:
        raise context.fail("--dry-run is available for publish-to-learn")
    with services.db.session() as session:
        target = customers.get_record(session, customer_id=customer_id)
    plan, policy = preview(services, catalog.PUBLISH_TO_LEARN, target)
    table = Table(
        "would", "reason", "post", "engagement", "views", "clone #", title=f"dry run ({policy.rule_version})"
    )
    summary = None
    for decided in plan.decisions:
        evidence = decided.evidence
        if not isinstance(evidence, PostVerdict):
            summary = decided
            continue
        table.add_row(
            decided.action,
            decided.reason,
            escape(decided.subject.id),
            _fmt(evidence.engagement_rate),
            _fmt(evidence.views),
            _fmt(evidence.clone_number),
        )
    context.console.print(table)
    context.console.print(_summary_line(summary))


def _summary_line(summary: Decided | None) -> str:
    if summary is None or not isinstance(summary.evidence, PublishSummary):
        return "nothing was recorded or sent"
    evidence = summary.evidence
    skipped = f" ({summary.reason})" if summary.reason is not Reason.DAILY_SUMMARY else ""
    return (
        f"posts seen {evidence.posts_seen}, eligible {evidence.posts_eligible}, "
        f"median {_fmt(evidence.median_engagement_rate)}{skipped}; nothing was recorded or sent"
    )


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
