"""The webhook inbox: every Layers event delivered to us, stored once per event id before we answer 2xx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.store.dialect import insert
from agent.store.models import WebhookEvent


def store_event(
    session: Session, *, event_id: str, type: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Keep the event; False when it was already stored (a redelivery changes nothing)."""
    statement = (
        insert(session, WebhookEvent)
        .values(event_id=event_id, type=type, payload=payload, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(WebhookEvent.id)
    )
    return session.execute(statement).first() is not None


def last_received_at(session: Session) -> datetime | None:
    """When the latest delivery arrived: the poller's sign that webhooks are flowing."""
    return session.scalars(select(func.max(WebhookEvent.received_at))).one()
