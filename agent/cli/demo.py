"""`agent demo`: the whole agent on embedded defaults, end to end, on the sandbox's demo scenario.

It runs the real task code (the Celery tasks, executed in this process) against the sandbox served
in-process: registers the demo customers, runs a full day for each (publish-to-learn, optimization,
weekly review), follows every job to the end, then prints the decision table and the clone counts.
Running it again the same day changes nothing: each run exists once per customer, loop and day.
"""

from __future__ import annotations

import time as wall
from collections.abc import Callable
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from agent.cli import context
from agent.cli.render import decisions_table
from agent.config import load_settings
from agent.demo_customers import register
from agent.domain.vocabulary import LoopName, Trigger
from agent.loops import job_poller
from agent.rules.schedule import local_date
from agent.sandbox import Sandbox
from agent.services import Services, build_services
from agent.store import customers, jobs, migrate, reports, runs

DEMO_API_KEY = "lp_test_demo_localsandboxkey"
# The demo runs on the pilot tier (sandbox and client alike) so a dozen customers take seconds, not the
# minute the standard tier's 120 reads/minute would impose; the pacing itself is the same code.
DEMO_TIER = "pilot"
DEMO_RATES = {"rate_read_per_min": 1200, "rate_write_per_min": 600, "rate_long_running_per_min": 60}
DAY = (LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION, LoopName.WEEKLY_REVIEW)
JOBS_DEADLINE_S = 120


def demo(
    job_seconds: Annotated[float, typer.Option(help="Scale of the sandbox's job durations")] = 1.0,
) -> None:
    """Run the agent end to end on the sandbox's demo scenario and print what it decided."""
    from agent.worker import runtime, tasks
    from agent.worker.app import create_app

    base = context.settings()
    sandbox = Sandbox.from_demo(job_duration_scale=job_seconds, rate_limits=DEMO_TIER)
    with sandbox.serve() as server:
        settings = load_settings(
            **{
                **base.model_dump(exclude={"layers_api_key", "layers_base_url"}),
                "layers_api_key": DEMO_API_KEY,
                "layers_base_url": server.base_url,
                **DEMO_RATES,
            }
        )
        migrate.upgrade(settings.database_url)
        create_app(settings)
        services = build_services(settings)
        runtime.install(services)
        try:
            customer_ids = register(services.db, sandbox.scenario)
            _run_day(services, customer_ids, tasks.run.apply)
            _follow_jobs(services)
            _print_tables(services)
        finally:
            runtime.reset()
            services.close()


def _run_day(services: Services, customer_ids: list[int], run_task: Callable[..., object]) -> None:
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), console=context.console
    ) as bar:
        progress = bar.add_task("running a day for each customer", total=len(customer_ids) * len(DAY))
        for customer_id in customer_ids:
            with services.db.session() as session:
                customer = customers.get_record(session, customer_id=customer_id)
                name, today = customer.name, local_date(services.now(), customer.timezone)
            for loop in DAY:
                bar.update(progress, description=f"{name}: {loop.label}")
                with services.db.session() as session:
                    run_id = runs.ensure(
                        session, customer_id=customer_id, loop=loop, local_date=today, trigger=Trigger.DEMO
                    ).id
                run_task(args=(run_id,))
                bar.advance(progress)


def _follow_jobs(services: Services) -> None:
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
    with services.db.session() as session:
        decisions = reports.all_decisions(session)
        names = reports.customer_names(session)
        context.console.print(decisions_table(decisions, title="decisions", names=names))
        counts = Table("customer", "source post", "clones (counted)", "failed/canceled", title="clone counts")
        for row in reports.clone_counts(session):
            counts.add_row(row.customer, row.source_post_id, str(row.counted), str(row.uncounted))
        context.console.print(counts)
    context.console.print(
        "[green]demo complete[/green]: inspect with `agent decisions`, `agent explain ID`, `agent clones`"
    )
