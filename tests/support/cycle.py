"""Playing the publish/learn cycle forward from a test (issue 15): time moves, beat's ticks run."""

from __future__ import annotations

from sqlalchemy import select

from agent.loops import publishing, verdicts
from agent.sandbox import ManualClock
from agent.services import Services
from agent.store import customers
from agent.store.models import Clone, Decision, Publication, ScheduledPost

# The sandbox serves every test at full speed; the client's own pacing must not defer runs either.
FAST = {"rate_read_per_min": 6000, "rate_write_per_min": 3000, "rate_long_running_per_min": 3000}
CYCLE_SUBJECTS = ("container", "scheduled_post", "clone")


def play(services: Services, clock: ManualClock, *, hours: float, step_minutes: float = 30) -> None:
    """Advance the clock, running the publishing tick every `step_minutes` (as beat would)."""
    for _ in range(int(hours * 60 / step_minutes)):
        clock.advance(step_minutes * 60)
        publishing.tick(services)


def judge(services: Services, clock: ManualClock, *, days: float) -> int:
    clock.advance(days * 86400)
    return verdicts.tick(services)


def customer_id(services: Services, name: str) -> int:
    with services.db.session() as session:
        return customers.find(session, ref=name).id


def publications(services: Services, name: str) -> list[Publication]:
    with services.db.session() as session:
        query = select(Publication).where(Publication.customer_id == customers.find(session, ref=name).id)
        return list(session.scalars(query.order_by(Publication.id)))


def scheduled_posts(services: Services, name: str) -> list[ScheduledPost]:
    with services.db.session() as session:
        query = select(ScheduledPost).where(ScheduledPost.customer_id == customers.find(session, ref=name).id)
        return list(session.scalars(query.order_by(ScheduledPost.id)))


def cycle_decisions(services: Services, name: str) -> list[Decision]:
    with services.db.session() as session:
        query = select(Decision).where(
            Decision.customer_id == customers.find(session, ref=name).id,
            Decision.subject_type.in_(CYCLE_SUBJECTS),
        )
        return list(session.scalars(query.order_by(Decision.id)))


def agent_clones(services: Services, name: str) -> list[Clone]:
    with services.db.session() as session:
        query = select(Clone).where(
            Clone.customer_id == customers.find(session, ref=name).id, Clone.origin != "prior"
        )
        return list(session.scalars(query.order_by(Clone.id)))
