"""`agent demo --days N`: the publish/learn cycle played forward on the sandbox's clock (issue 15), so that a
clone's whole life (review, schedule, publication, verdict, and the next day's clone made or skipped) plays
out in seconds. Every day the publish-to-learn run of each customer that publishes (a `publishing` block in
the scenario) runs again; between runs, beat's ticks do (the job poller, the publishing tick, the verdicts),
every STEP of sandbox time. Verdicts come sooner than in production (SETTINGS) so that a week shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import typer

from agent.cli import context

if TYPE_CHECKING:
    from agent.sandbox import ManualClock, Scenario
    from agent.services import Services

STEP = timedelta(hours=3)  # beat's ticks, coarse: reviews come within 30 min, posts at an evening slot
JOB_STEP_S = 2
JOB_STEPS = 30
# Partner-tier pacing on the client (the sandbox does not limit: its windows would count on a clock that
# stands still between steps), and a ranking window long enough for a source to stay in view until its
# clones' verdicts are in.
SETTINGS = {
    "rate_read_per_min": 6000,
    "rate_write_per_min": 3000,
    "rate_long_running_per_min": 300,
    "top_performers_window": "30d",
    "clone_outcome_days": 3,
    "settle_delay_hours": 24,
    "approval_check_interval_s": 3 * 3600,
}
TIER = "disabled"


def follow_jobs(services: Services, clock: ManualClock) -> None:
    from agent.loops import job_poller

    for _ in range(JOB_STEPS):
        clock.advance(JOB_STEP_S)
        job_poller.poll_due(services)


def play(
    services: Services,
    clock: ManualClock,
    customer_ids: list[int],
    days: int,
    run_task: Callable[..., object],
) -> None:
    """`days` more days: the ticks every STEP, then the next local day's publish-to-learn of `customer_ids`."""
    from agent.domain.vocabulary import LoopName, Trigger
    from agent.loops import job_poller, publishing, verdicts
    from agent.rules.schedule import local_date
    from agent.store import customers, runs

    follow_jobs(services, clock)
    with context.console.status("playing the days forward…") as status:
        for day in range(1, days + 1):
            status.update(f"day {day} of {days}: reviews, schedules, posts, verdicts")
            for _ in range(int(timedelta(days=1) / STEP)):
                clock.advance(STEP.total_seconds())
                job_poller.poll_due(services)
                publishing.tick(services)
            verdicts.tick(services)
            for customer_id in customer_ids:
                with services.db.session() as session:
                    customer = customers.get_record(session, customer_id=customer_id)
                    run_id = runs.ensure(
                        session,
                        customer_id=customer_id,
                        loop=LoopName.PUBLISH_TO_LEARN,
                        local_date=local_date(services.now(), customer.timezone),
                        trigger=Trigger.DEMO,
                    ).id
                run_task(args=(run_id,))
            follow_jobs(services, clock)
    typer.echo(
        f"played {days} more days (verdicts after {SETTINGS['clone_outcome_days']} days, settled "
        f"{SETTINGS['settle_delay_hours']} h): the sandbox clock is now {clock():%Y-%m-%d %H:%M} UTC"
    )


def publishing_customers(services: Services, scenario: Scenario) -> list[int]:
    """The customers the scenario gives social accounts or a review: the ones whose clones go live."""
    from agent.store import customers

    projects = {p.id for p in scenario.projects if p.publishing is not None}
    with services.db.session() as session:
        return [c.id for c in customers.list_all(session) if c.layers_project_id in projects]


def print_lineage(services: Services) -> None:
    from agent.cli.lineage import lines
    from agent.store import lineage

    with services.db.session() as session:
        found = lineage.clones(session)
        rates = lineage.hit_rates(session, window=services.settings.hit_rate_window)
    typer.echo("")
    typer.echo("clone lineage (clone → review → schedule → posts → verdict)")
    for line in lines(found, rates):
        typer.echo(f"  {line}")
