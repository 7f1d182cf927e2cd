"""The webhook inbox: every Layers event delivered to us, stored once per event id before we answer 2xx,
then claimed by the worker with a lease (SKIP LOCKED) and marked with what processing did."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agent.domain.records import InboxEvent
from agent.domain.vocabulary import InboxOutcome
from agent.store.dialect import insert
from agent.store.models import WebhookEvent


def store_event(
    session: Session, *, event_id: str, type: str, payload: dict[str, Any], now: datetime
) -> int | None:
    """Keep the event and return its row id; None when it was already stored (a redelivery changes nothing)."""
    statement = (
        insert(session, WebhookEvent)
        .values(event_id=event_id, type=type, payload=payload, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(WebhookEvent.id)
    )
    return session.execute(statement).scalar()


def last_received_at(session: Session) -> datetime | None:
    """When the latest delivery arrived: the poller's sign that webhooks are flowing."""
    return session.scalars(select(func.max(WebhookEvent.received_at))).one()


def claim(
    session: Session, *, now: datetime, limit: int, lease_s: float, row_id: int | None = None
) -> list[InboxEvent]:
    """Lease unprocessed events, oldest first (or just `row_id`); concurrent workers skip each other's."""
    query = (
        select(WebhookEvent)
        .where(
            WebhookEvent.processed_at.is_(None),
            or_(WebhookEvent.lease_until.is_(None), WebhookEvent.lease_until < now),
        )
        .order_by(WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if row_id is not None:
        query = query.where(WebhookEvent.id == row_id)
    claimed = []
    for row in session.scalars(query):
        row.lease_until = now + timedelta(seconds=lease_s)
        row.attempts += 1
        claimed.append(
            InboxEvent(row.id, row.event_id, row.type, dict(row.payload), row.received_at, row.attempts)
        )
    return claimed


def finish(
    session: Session, *, row_id: int, now: datetime, outcome: InboxOutcome, error: str | None = None
) -> None:
    row = session.get_one(WebhookEvent, row_id)
    row.processed_at, row.outcome, row.error, row.lease_until = now, outcome, error, None


def retry_later(session: Session, *, row_id: int, at: datetime, error: str | None) -> None:
    """Leave the event unprocessed; no claim takes it before `at`."""
    row = session.get_one(WebhookEvent, row_id)
    row.lease_until, row.error = at, error
