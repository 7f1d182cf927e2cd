"""Helpers for the recovery and hand-off tests: today's runs created and sent the way the dispatcher does
(outbox and message markers), the state of every run, and what must never happen twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import redis
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from agent.layers.client import LayersClient
from agent.loops import scheduling
from agent.services import Services
from agent.store.models import Clone, Customer, Decision, Run
from agent.worker.messages import RunMessages

DAILY = ("publish_to_learn", "optimization")


def elsewhere_weekday() -> str:
    """A weekday that is not today anywhere: only the two daily loops are due."""
    return (datetime.now(UTC) + timedelta(days=3)).strftime("%A").lower()


def all_due_now(stack) -> None:
    with stack.db.session() as session:
        session.execute(update(Customer).values(run_at=clock(0, 0)))


def dispatch_now(stack) -> int:
    """One dispatcher tick from the test process, sending exactly as a worker's `send_run` does."""
    settings = stack.settings.model_copy(update={"weekly_review_weekday": elsewhere_weekday()})
    messages = RunMessages(redis.Redis.from_url(stack.settings.redis_url), clock=lambda: datetime.now(UTC))
    client = LayersClient.from_settings(
        settings.model_copy(
            update={"layers_base_url": stack.base_url, "layers_api_key": stack.env["LAYERS_API_KEY"]}
        )
    )
    services = Services(settings=settings, db=stack.db, client=client)

    def send(run_id: int) -> None:
        messages.queued(run_id)
        stack.app.send_task("agent.run", args=[run_id])

    try:
        return scheduling.dispatch(services, send=send, lost=messages.lost)
    finally:
        client.close()


def runs(stack) -> list[Run]:
    """Every daily run; an empty list while PostgreSQL is restarting."""
    try:
        with stack.db.session() as session:
            return list(session.scalars(select(Run).where(Run.loop.in_(DAILY)).order_by(Run.id)))
    except OperationalError:
        return []


def customers_count(stack) -> int:
    with stack.db.session() as session:
        return len(session.scalars(select(Customer.id)).all())


def all_ended(stack) -> bool:
    found = runs(stack)
    ended = [r for r in found if r.status in ("succeeded", "failed")]
    return len(ended) == customers_count(stack) * len(DAILY)


def nothing_twice(stack) -> None:
    """One run per customer, loop and day; one decision per run, subject and action; one clone applied
    per container."""
    found = runs(stack)
    per_key = Counter((r.customer_id, r.loop, r.local_date) for r in found)
    assert set(per_key.values()) == {1}, per_key
    with stack.db.session() as session:
        decisions = Counter(
            (d.run_id, d.subject_id, d.action)
            for d in session.scalars(select(Decision).where(Decision.run_id.is_not(None)))
        )
        clones = list(session.scalars(select(Clone).where(Clone.origin != "prior")))
    assert set(decisions.values()) == {1}, [k for k, n in decisions.items() if n > 1]
    applied = Counter(e.container_id for e in stack.sandbox.witness.applied_clones())
    assert set(applied.values()) <= {1}, applied
    assert len(applied) == len(clones)
