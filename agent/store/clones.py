"""Clones and their slots: a live clone holds one of its source's five numbered slots.

The unique (customer, source, slot) key plus CHECK (slot BETWEEN 1 AND 5) is what makes a sixth live
clone impossible, whatever the interleaving of workers: the loser of a race gets an IntegrityError.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.domain.ids import mint_container_id, mint_idempotency_key
from agent.domain.records import CloneReview, NewClone, WorkItem
from agent.domain.vocabulary import LIVE_WORK, REVIEW_FINAL, WorkStatus
from agent.rules.thresholds import MAX_CLONE_SLOTS
from agent.store.models import Clone
from agent.store.work import to_record

SLOT_RACE_RETRIES = 3


def counts(session: Session, *, customer_id: int) -> dict[str, int]:
    """Live clones per source post: what counts toward the cap."""
    query = (
        select(Clone.source_post_id, func.count())
        .where(Clone.customer_id == customer_id, Clone.status.in_(LIVE_WORK))
        .group_by(Clone.source_post_id)
    )
    return {source: count for source, count in session.execute(query).tuples()}


def reserve(session: Session, *, new: NewClone, status: WorkStatus = WorkStatus.PENDING) -> WorkItem | None:
    """Insert a clone in the lowest free slot, with its ids minted; None when all slots are taken.

    On PostgreSQL, reservations for one source queue on a transaction-scoped advisory lock, so that
    concurrent runs take free slots in turn instead of colliding; the unique key stays the guarantee.
    Each attempt runs in a SAVEPOINT so that losing a slot race rolls back only the attempted insert.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"clone-slots:{new.customer_id}:{new.source_post_id}"},
        )
    for _ in range(SLOT_RACE_RETRIES):
        taken = set(
            session.scalars(
                select(Clone.slot).where(
                    Clone.customer_id == new.customer_id,
                    Clone.source_post_id == new.source_post_id,
                    Clone.slot.is_not(None),
                )
            )
        )
        free = [slot for slot in range(1, MAX_CLONE_SLOTS + 1) if slot not in taken]
        if not free:
            return None
        clone = Clone(
            customer_id=new.customer_id,
            run_id=new.run_id,
            loop=new.loop,
            source_post_id=new.source_post_id,
            slot=free[0],
            container_id=mint_container_id(),
            idempotency_key=mint_idempotency_key(),
            mode=new.mode,
            variations=new.variations,
            origin=new.origin,
            status=status,
        )
        try:
            with session.begin_nested():
                session.add(clone)
                session.flush()
        except IntegrityError:
            continue
        return to_record(clone)
    return None


def set_approval_status(session: Session, *, clone_id: int, approval_status: str | None) -> None:
    """The container's review status at Layers, read when its job completed or told by a `content.*`
    webhook (for ops to see). A reviewed container stays reviewed, whatever the order they arrive in."""
    clone = session.get_one(Clone, clone_id)
    if clone.approval_status not in REVIEW_FINAL:
        clone.approval_status = approval_status


def for_container(session: Session, *, container_id: str) -> CloneReview | None:
    """The clone whose container this is (its row lock held until the unit of work ends)."""
    clone = session.scalars(select(Clone).where(Clone.container_id == container_id).with_for_update()).first()
    if clone is None:
        return None
    return CloneReview(clone.id, clone.customer_id, clone.decision_id, clone.approval_status)
