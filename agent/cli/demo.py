"""`agent demo`: the whole agent on embedded defaults, end to end, on the sandbox's demo scenario.

It runs the real task code (the Celery tasks, executed in this process) against the sandbox served
in-process: registers the demo customers, runs a full day for each (publish-to-learn, optimization,
weekly review), follows every job to the end, then prints the decision table and the clone counts.
Running it again the same day changes nothing: each run exists once per customer, loop and day.

It never writes where DATABASE_URL or `.env` point: it uses its own SQLite file unless given
`--database-url`, refuses a database that holds customers other than the demo's, and says which
database it used. Redis is not used either (an in-process limiter, tasks run in this process).
"""

from __future__ import annotations

import time as wall
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli import context
from agent.cli.exits import BadInput

if TYPE_CHECKING:
    from agent.services import Services

DEMO_DATABASE_URL = "sqlite:///./agent-demo.db"
DEMO_API_KEY = "lp_test_demo_localsandboxkey"
# The demo runs on the pilot tier (sandbox and client alike) so a dozen customers take seconds, not the
# minute the standard tier's 120 reads/minute would impose; the pacing itself is the same code.
DEMO_TIER = "pilot"
DEMO_RATES = {"rate_read_per_min": 1200, "rate_write_per_min": 600, "rate_long_running_per_min": 60}
JOBS_DEADLINE_S = 120


def demo(
    job_seconds: Annotated[float, typer.Option(help="Scale of the sandbox's job durations")] = 1.0,
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            help="Where the demo writes (default: its own file; never DATABASE_URL or .env)",
        ),
    ] = DEMO_DATABASE_URL,
    days: Annotated[
        int,
        typer.Option(
            min=0,
            help="Then play this many more days on the sandbox's clock: review, publish, verdict (issue 15)",
        ),
    ] = 0,
) -> None:
    """Run the agent end to end on the sandbox's demo scenario and print what it decided."""
    from agent.cli import demo_days
    from agent.config import load_settings
    from agent.demo_customers import register
    from agent.sandbox import ManualClock, Sandbox
    from agent.services import build_services, utc_now
    from agent.store import migrate
    from agent.worker import runtime, tasks
    from agent.worker.app import create_app

    base = context.settings()
    clock = ManualClock() if days else None  # --days: the sandbox's time moves only when told to
    tier = demo_days.TIER if days else DEMO_TIER
    sandbox = Sandbox.from_demo(job_duration_scale=job_seconds, rate_limits=tier, clock=clock)
    demo_projects = {project.id for project in sandbox.scenario.projects}
    with sandbox.serve() as server:
        settings = load_settings(
            **{
                **base.model_dump(exclude={"layers_api_key", "layers_base_url", "database_url", "redis_url"}),
                "layers_api_key": DEMO_API_KEY,
                "layers_base_url": server.base_url,
                "database_url": database_url,
                "redis_url": None,
                **DEMO_RATES,
                **(demo_days.SETTINGS if days else {}),
            }
        )
        _refuse_real_customers(settings.database_url, demo_projects)
        typer.echo(f"demo database: {settings.database_url}")
        migrate.upgrade(settings.database_url)
        create_app(settings)
        services = build_services(settings, clock=clock or utc_now)
        runtime.install(services)
        try:
            customer_ids = register(services.db, sandbox.scenario)
            _run_day(services, customer_ids, tasks.run.apply)
            if clock is not None:
                daily = demo_days.publishing_customers(services, sandbox.scenario)
                demo_days.play(services, clock, daily, days, tasks.run.apply)
            else:
                _follow_jobs(services)
            _print_tables(services)
            if clock is not None:
                demo_days.print_lineage(services)
        finally:
            runtime.reset()
            services.close()


def _refuse_real_customers(database_url: str, demo_projects: set[str]) -> None:
    """The demo registers fake customers a worker would run daily: never next to real ones."""
    from agent.store.customers import registered_projects
    from agent.store.db import Database

    db = Database.from_url(database_url)
    try:
        others = sorted(
            name for project, name in registered_projects(db.engine).items() if project not in demo_projects
        )
    finally:
        db.dispose()
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise BadInput(
            f"refusing to run the demo on {database_url}: it holds customers that are not the demo's "
            f"({shown}); leave out --database-url to use the demo's own file"
        )


def _run_day(services: Services, customer_ids: list[int], run_task: Callable[..., object]) -> None:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

    from agent.domain.vocabulary import LoopName, Trigger
    from agent.rules.schedule import local_date
    from agent.store import customers, runs

    day = (LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION, LoopName.WEEKLY_REVIEW)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), console=context.console
    ) as bar:
        progress = bar.add_task("running a day for each customer", total=len(customer_ids) * len(day))
        for customer_id in customer_ids:
            with services.db.session() as session:
                customer = customers.get_record(session, customer_id=customer_id)
                name, today = customer.name, local_date(services.now(), customer.timezone)
            for loop in day:
                bar.update(progress, description=f"{name}: {loop.label}")
                with services.db.session() as session:
                    run_id = runs.ensure(
                        session, customer_id=customer_id, loop=loop, local_date=today, trigger=Trigger.DEMO
                    ).id
                run_task(args=(run_id,))
                bar.advance(progress)


def _follow_jobs(services: Services) -> None:
    from agent.loops import job_poller
    from agent.store import jobs

    deadline = wall.monotonic() + JOBS_DEADLINE_S
    with context.console.status("following clone and generation jobs to the end…"):
        while wall.monotonic() < deadline:
            with services.db.session() as session:
                if not jobs.running_count(session):
                    return
            job_poller.poll_due(services)
            wall.sleep(0.5)
    raise context.fail(f"jobs still running after {JOBS_DEADLINE_S}s")


def _print_tables(services: Services) -> None:
    from agent.cli.render import decision_lines
    from agent.store import decision_outcomes, reports

    url = services.settings.database_url
    with services.db.session() as session:
        decisions = reports.all_decisions(session)
        names = reports.customer_names(session)
        lines = decision_lines(
            decisions, names=names, outcomes=decision_outcomes.of(session, decisions), width=context.width()
        )
        counts = reports.clone_counts(session)
        waiting = reports.pending_approvals(session)
    typer.echo(f"decisions: {len(decisions)}")
    for line in lines:
        typer.echo(line)
    typer.echo("")
    typer.echo("clone counts")
    width = max([len("customer"), *(len(row.customer) for row in counts)])
    typer.echo(f"  {'customer':<{width}}  {'source post':<40}  {'counted':>7}  {'failed/canceled':>15}")
    for row in counts:
        typer.echo(
            f"  {row.customer:<{width}}  {row.source_post_id:<40}  {row.counted:>7}  {row.uncounted:>15}"
        )
    typer.echo("")
    prefix = f"DATABASE_URL={url} "
    typer.echo(
        f"demo complete, in {url}. Inspect it: {prefix}agent decisions | agent explain ID | agent clones"
    )
    for proposal in waiting:
        if proposal.approval.status == "pending":
            typer.echo(
                f"proposal {proposal.approval.decision_id} ({proposal.customer}, {proposal.approval.kind}) "
                f"waits for consent: {prefix}agent pending; to approve it, see the README (after the demo)"
            )
