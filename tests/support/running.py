"""Running the agent's use cases the way a worker would, from a test, and reading what they recorded."""

from __future__ import annotations

from sqlalchemy import func, select

from agent.domain.vocabulary import LoopName
from agent.loops import catalog, job_poller
from agent.loops.runner import RunOutcome
from agent.rules.schedule import local_date
from agent.sandbox import ManualClock
from agent.services import Services
from agent.store import customers, runs
from agent.store.models import Base, Clone, Decision, Run


def run_today(
    services: Services, customer_ref: str, loop: LoopName = LoopName.PUBLISH_TO_LEARN
) -> RunOutcome:
    """Create (or find) today's run for the customer and execute it like a worker would."""
    with services.db.session() as session:
        customer = customers.find(session, ref=customer_ref)
        run_id = runs.ensure(
            session,
            customer_id=customer.id,
            loop=loop,
            local_date=local_date(services.now(), customer.timezone),
        ).id
    return catalog.run(services, run_id)


def follow_jobs(services: Services, clock: ManualClock, *, seconds: int = 120, step: int = 2) -> None:
    """Move time forward and let the poller do its rounds, as beat would."""
    for _ in range(seconds // step):
        clock.advance(step)
        job_poller.poll_due(services)


def decisions_of(services: Services, name: str) -> list[Decision]:
    with services.db.session() as session:
        customer_id = customers.find(session, ref=name).id
        query = select(Decision).where(Decision.customer_id == customer_id).order_by(Decision.id)
        return list(session.scalars(query))


def by_subject(decisions: list[Decision]) -> dict[str | None, Decision]:
    return {d.subject_id: d for d in decisions}


def runs_by_loop(services: Services) -> dict[str, int]:
    """How many runs each loop has (a publish-to-learn run that ends hands off its day's optimization run)."""
    with services.db.session() as session:
        query = select(Run.loop, func.count()).group_by(Run.loop)
        return {loop: n for loop, n in session.execute(query)}


def count(services: Services, model: type[Base]) -> int:
    with services.db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def new_clones(services: Services) -> int:
    """Clones the agent made (the demo seeds Loop Laundry's five earlier ones as origin 'prior')."""
    with services.db.session() as session:
        return session.execute(select(func.count()).where(Clone.origin != "prior")).scalar_one()
