"""`agent run LOOP --customer X`: run a loop now, synchronously, exactly as the worker would.

It says what happened: the decisions, or that the run was deferred (attempt n of m, exit 75) or failed
(exit 1). A paused or removed customer is refused, since a run would use up its day. `--dry-run` says
which restraints would apply and whether today's run already happened.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli import context
from agent.cli.exits import EXIT_TEMPORARY, BadInput
from agent.domain.vocabulary import Restraint

if TYPE_CHECKING:
    from agent.domain.records import CustomerRecord
    from agent.domain.vocabulary import LoopName
    from agent.services import Services
    from agent.store.models import Run

RESTRAINT_WORDS = {
    Restraint.SHADOW_MODE: "the customer is in shadow mode: clones would be recorded as shadow_clone, not sent",
    Restraint.KILL_SWITCH: "the kill switch is on: nothing that changes anything at Layers would be sent",
}


def run_command(
    loop: Annotated[str, typer.Argument(help="publish-to-learn | optimization | weekly-review")],
    customer: Annotated[str, typer.Option(help="Name, external id, Layers project id or numeric id")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow the jobs it starts to the end")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate and print; record and send nothing")
    ] = False,
) -> None:
    """Run a loop for one customer now and print its decisions (exit 75 when Layers deferred it)."""
    from agent.cli.choices import one_of
    from agent.domain.vocabulary import LoopName, Trigger, values
    from agent.rules.schedule import local_date
    from agent.store import customers, reports, runs

    loop_name = LoopName(one_of("loop", loop.strip().replace("-", "_"), values(LoopName)))
    with context.services() as services:
        with services.db.session() as session:
            target = customers.to_record(customers.find(session, ref=customer))
            today = local_date(services.now(), target.timezone)
            existing = reports.run_of_day(session, customer_id=target.id, loop=loop_name, local_date=today)
        if dry_run:
            _dry_run(services, target, loop_name, existing)
            return
        if not target.enabled:
            raise BadInput(
                f"{target.name} is paused: a run now would use up its {loop_name.label} run of {today}; "
                f"resume it first (agent customers resume {customer!r})"
            )
        with services.db.session() as session:
            run_id = runs.ensure(
                session, customer_id=target.id, loop=loop_name, local_date=today, trigger=Trigger.MANUAL
            ).id
        _run(services, run_id, target, loop_name, wait=wait)


def _run(services: Services, run_id: int, target: CustomerRecord, loop: LoopName, *, wait: bool) -> None:
    from agent.cli.render import decision_lines
    from agent.loops import catalog
    from agent.loops.runner import Ended
    from agent.store import decision_outcomes, decisions, reports, runs

    runner = logging.getLogger("agent.loops.runner")
    level = runner.level
    runner.setLevel(logging.ERROR)  # this command says how the run ended itself
    try:
        outcome = catalog.run(services, run_id)
    finally:
        runner.setLevel(level)
    if wait and outcome.status is Ended.SUCCEEDED:
        wait_for_jobs(services, target.id)
    with services.db.session() as session:
        run = runs.get(session, run_id=run_id)
        recorded = decisions.for_run(session, run_id=run_id)
        lines = decision_lines(
            recorded,
            names=reports.customer_names(session),
            outcomes=decision_outcomes.of(session, recorded),
            width=context.width(),
            show_customer=False,
        )
    status = run.status if run is not None else "unknown"
    typer.echo(f"{target.name}: {loop.label} run {run_id} ({status})")
    if recorded:
        for line in lines:
            typer.echo(line)
    if outcome.status is Ended.QUEUED and run is not None:
        typer.echo(
            f"error: run {run_id} was deferred after a temporary failure: {run.error}; "
            f"attempt {run.attempts} of {services.settings.task_max_attempts} (a worker retries it, "
            f"or run this again later)",
            err=True,
        )
        raise typer.Exit(EXIT_TEMPORARY)
    if outcome.status is Ended.NOT_CLAIMED:
        typer.echo(f"run {run_id} was not started: {outcome.reason.replace('_', ' ')}")
    if status == "failed":
        raise context.fail(f"run {run_id} failed: {run.error if run else 'unknown error'}")


def wait_for_jobs(services: Services, customer_id: int) -> None:
    """Poll this customer's jobs until none is running, printing each change (the CLI may wait here)."""
    from agent.loops import job_poller
    from agent.store import reports

    seen: dict[str, str] = {}
    while True:
        with services.db.session() as session:
            flying = reports.jobs_in_flight(session, customer_id=customer_id)
        for job in flying:
            progress = f" {job.progress:.0%}" if job.progress is not None else ""
            state = f"{job.status}{progress}" + (f" ({job.stage})" if job.stage else "")
            if seen.get(job.job_id) != state:
                typer.echo(f"waiting: {job.kind} job {job.job_id} {state}")
                seen[job.job_id] = state
        if not flying:
            if seen:
                typer.echo("waiting: every job ended")
            return
        job_poller.poll_due(services)
        time.sleep(min(services.settings.poller_tick_s, 1.0))


def _dry_run(services: Services, target: CustomerRecord, loop: LoopName, existing: Run | None) -> None:
    from agent.domain.evidence import PostVerdict, PublishSummary
    from agent.domain.vocabulary import LoopName
    from agent.loops import catalog
    from agent.loops.runner import preview

    if loop is not LoopName.PUBLISH_TO_LEARN:
        raise BadInput("--dry-run is available for publish-to-learn")
    plan, policy = preview(services, catalog.PUBLISH_TO_LEARN, target)
    typer.echo(f"dry run for {target.name}, publish-to-learn, rule version {policy.rule_version}")
    for line in _restraints(target, policy.restraint, existing):
        typer.echo(f"  {line}")
    typer.echo(f"  {'would':<12}  {'reason':<22}  {'engagement':>10}  {'views':>7}  {'clone #':>7}  post")
    summary = None
    for decided in plan.decisions:
        evidence = decided.evidence
        if not isinstance(evidence, PostVerdict):
            summary = evidence if isinstance(evidence, PublishSummary) else summary
            continue
        typer.echo(
            f"  {decided.action:<12}  {decided.reason:<22}  {_fmt(evidence.engagement_rate):>10}  "
            f"{_fmt(evidence.views):>7}  {_fmt(evidence.clone_number):>7}  {evidence.title or decided.subject.id}"
        )
    if summary is not None:
        typer.echo(
            f"posts seen {summary.posts_seen}, eligible {summary.posts_eligible}, "
            f"median {_fmt(summary.median_engagement_rate)}"
        )
    typer.echo("nothing was recorded or sent")


def _restraints(target: CustomerRecord, restraint: Restraint | None, existing: Run | None) -> list[str]:
    """What would hold a real run back, and whether today's run already happened."""
    lines = []
    if restraint is not None:
        lines.append(RESTRAINT_WORDS[restraint])
    if not target.enabled:
        lines.append("the customer is paused: a real run would only record skip / customer_paused")
    status = existing.status if existing is not None else None
    if status in ("succeeded", "failed"):
        lines.append(f"today's run already {status}: a real run now would do nothing")
    elif status is not None:
        lines.append(f"today's run exists ({status}): a real run now would take it over")
    else:
        lines.append("today's run has not happened yet")
    return lines


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
