"""Health signals while they are crossed (issue 14): opened once and cleared once, whatever the number of
evaluations, by conditional writes (a partial unique index holds one open row per customer and signal)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from agent.domain.notifications import OpenSignal
from agent.store.dialect import insert
from agent.store.models import HealthSignal


def open_signals(session: Session) -> list[OpenSignal]:
    rows = session.scalars(
        select(HealthSignal).where(HealthSignal.cleared_at.is_(None)).order_by(HealthSignal.id)
    )
    return [OpenSignal(r.id, r.customer_id, r.signal, r.detail, r.opened_at) for r in rows]


def open_signal(session: Session, *, customer_id: int, signal: str, detail: str, now: datetime) -> int | None:
    """Open the signal; None when it is already open (another evaluation got there first)."""
    statement = (
        insert(session, HealthSignal)
        .values(customer_id=customer_id, signal=signal, detail=detail, opened_at=now)
        .on_conflict_do_nothing(
            index_elements=["customer_id", "signal"], index_where=text("cleared_at IS NULL")
        )
        .returning(HealthSignal.id)
    )
    return session.execute(statement).scalar()


def clear_signal(session: Session, *, signal_id: int, now: datetime) -> bool:
    """Clear the signal; False when it was already cleared."""
    result = session.execute(
        update(HealthSignal)
        .where(HealthSignal.id == signal_id, HealthSignal.cleared_at.is_(None))
        .values(cleared_at=now)
        .returning(HealthSignal.id)
    )
    return result.scalar() is not None
