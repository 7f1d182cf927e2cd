"""Clones and their slots: a live clone holds one of its source's five numbered slots.

The unique (customer, source, slot) key plus CHECK (slot BETWEEN 1 AND 5) is what makes a sixth live
clone impossible, whatever the interleaving of workers: the loser of a race gets an IntegrityError.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.store.models import COUNTED_CLONE_STATUSES, MAX_CLONE_SLOTS, Clone

SLOT_RACE_RETRIES = 3
RELEASES_SLOT = ("failed", "canceled")


def mint_container_id() -> str:
    """A fresh container id for the clone (the path id of clone-from-post is the idempotency key)."""
    return f"cnt_{uuid.uuid4()}"


def mint_idempotency_key() -> str:
    return str(uuid.uuid4())


def counts(
    session: Session, customer_id: int, source_post_ids: Iterable[str] | None = None
) -> dict[str, int]:
    """Clone count per source: submitted, running, completed or timed out (and pending, about to be sent)."""
    query = (
        select(Clone.source_post_id, func.count())
        .where(Clone.customer_id == customer_id, Clone.status.in_(COUNTED_CLONE_STATUSES))
        .group_by(Clone.source_post_id)
    )
    if source_post_ids is not None:
        query = query.where(Clone.source_post_id.in_(list(source_post_ids)))
    return {source: count for source, count in session.execute(query)}


def reserve(
    session: Session,
    *,
    customer_id: int,
    run_id: int | None,
    decision_id: int | None,
    source_post_id: str,
    mode: str,
    variations: int,
    origin: str,
) -> Clone | None:
    """Insert a pending clone in the lowest free slot, with its ids minted; None when all slots are taken.

    On PostgreSQL, reservations for one source queue on a transaction-scoped advisory lock, so that
    concurrent runs take free slots in turn instead of colliding; the unique key stays the guarantee.
    Each attempt runs in a SAVEPOINT so that losing a slot race rolls back only the attempted insert.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"clone-slots:{customer_id}:{source_post_id}"},
        )
    for _ in range(SLOT_RACE_RETRIES):
        taken = set(
            session.scalars(
                select(Clone.slot).where(
                    Clone.customer_id == customer_id,
                    Clone.source_post_id == source_post_id,
                    Clone.slot.is_not(None),
                )
            )
        )
        free = [slot for slot in range(1, MAX_CLONE_SLOTS + 1) if slot not in taken]
        if not free:
            return None
        clone = Clone(
            customer_id=customer_id,
            run_id=run_id,
            decision_id=decision_id,
            source_post_id=source_post_id,
            slot=free[0],
            container_id=mint_container_id(),
            idempotency_key=mint_idempotency_key(),
            mode=mode,
            variations=variations,
            origin=origin,
            status="pending",
        )
        try:
            with session.begin_nested():
                session.add(clone)
                session.flush()
        except IntegrityError:
            continue
        return clone
    return None


def for_decision(session: Session, decision_id: int) -> Clone | None:
    return session.scalars(select(Clone).where(Clone.decision_id == decision_id)).one_or_none()


def pending_for_run(session: Session, run_id: int) -> list[Clone]:
    return list(
        session.scalars(
            select(Clone).where(Clone.run_id == run_id, Clone.status == "pending").order_by(Clone.id)
        )
    )


def mark_submitted(session: Session, clone: Clone, *, job_id: str, now: datetime) -> None:
    clone.job_id = job_id
    clone.status = "submitted"
    clone.submitted_at = now


def finish(
    session: Session,
    clone: Clone,
    *,
    status: str,
    now: datetime,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    """Record the clone's outcome; failed and canceled clones produced nothing and give their slot back."""
    clone.status = status
    clone.finished_at = now
    clone.error_code = error_code
    clone.error_message = error_message
    if status in RELEASES_SLOT:
        clone.slot = None
