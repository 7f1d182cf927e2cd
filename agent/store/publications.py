"""Publications: each container of a completed clone on its way to publication (issue 15).

A publication moves only under its row lock and only from the status its caller read (`lock`), so two ticks
never take the same step twice. The schedule is an outbox row: `reserve` mints its Idempotency-Key and
commits it with the slot and the targets before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.ids import mint_idempotency_key
from agent.domain.publishing import PUBLICATION_ENDED, Publication, PublicationStatus, Reservation
from agent.domain.vocabulary import ApprovalStatus, CloneOrigin, WorkStatus
from agent.store.dialect import insert
from agent.store.models import Approval, Clone, Customer, Job
from agent.store.models import Publication as Row

DECIDED_REVIEWS = frozenset({"approved", "rejected", "not_required"})


def _containers(clone: Clone, result: dict[str, Any] | None) -> list[str]:
    """The clone's own container, then its other variations as the job's result lists them."""
    listed = (result or {}).get("containerIds")
    others = [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []
    return list(dict.fromkeys([clone.container_id, *others]))


def track(session: Session, *, now: datetime, limit: int, check_after_s: float) -> int:
    """A publication for each container of every completed clone that has none yet; returns how many."""
    rows = session.execute(
        select(Clone, Job.result)
        .join(Job, Job.clone_id == Clone.id)
        .outerjoin(Row, Row.clone_id == Clone.id)
        .where(Clone.status == WorkStatus.COMPLETED, Clone.origin != CloneOrigin.PRIOR, Row.id.is_(None))
        .order_by(Clone.id)
        .limit(limit)
    ).all()
    created = 0
    for clone, result in rows:
        for container_id in _containers(clone, result):
            known = clone.approval_status if container_id == clone.container_id else None
            # What the job's end already read needs no second read at once; an unknown variation does.
            first_check = now + timedelta(seconds=check_after_s) if known == "pending" else now
            inserted = session.execute(
                insert(session, Row)
                .values(
                    customer_id=clone.customer_id,
                    clone_id=clone.id,
                    container_id=container_id,
                    status=PublicationStatus.AWAITING_REVIEW,
                    approval_status=known,
                    next_check_at=first_check,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["container_id"])
                .returning(Row.id)
            ).first()
            created += inserted is not None
    return created


def _query() -> Any:
    return (
        select(Row, Clone, Customer.layers_project_id)
        .join(Clone, Clone.id == Row.clone_id)
        .join(Customer, Customer.id == Row.customer_id)
    )


def _record(row: Row, clone: Clone, project_id: str) -> Publication:
    approval = row.approval_status
    if row.container_id == clone.container_id and clone.approval_status in DECIDED_REVIEWS:
        approval = (
            approval if approval in DECIDED_REVIEWS else clone.approval_status
        )  # a webhook told the clone
    return Publication(
        id=row.id,
        customer_id=row.customer_id,
        clone_id=row.clone_id,
        project_id=project_id,
        container_id=row.container_id,
        clone_container_id=clone.container_id,
        source_post_id=clone.source_post_id,
        status=PublicationStatus(row.status),
        approval_status=approval,
        clone_decision_id=clone.decision_id,
        proposal_id=row.proposal_id,
        schedule_decision_id=row.schedule_decision_id,
        idempotency_key=row.idempotency_key,
        scheduled_for=row.scheduled_for,
        targets=tuple(row.targets or ()),
        attempts=row.attempts,
        created_at=row.created_at,
    )


def claim_due(
    session: Session, *, statuses: Sequence[PublicationStatus], now: datetime, limit: int, lease_s: float
) -> list[Publication]:
    """The publications in `statuses` whose next look is due, leased to this tick (other ticks skip them)."""
    found = session.execute(
        _query()
        .where(Row.status.in_(statuses), Row.next_check_at <= now)
        .order_by(Row.next_check_at, Row.id)
        .limit(limit)
        .with_for_update(of=Row, skip_locked=True)
    ).all()
    for row, _, _ in found:
        row.next_check_at = now + timedelta(seconds=lease_s)
    return [_record(row, clone, project) for row, clone, project in found]


def lock(session: Session, *, publication_id: int, status: PublicationStatus) -> Publication | None:
    """The publication, locked, if it still is in `status` (else another tick already moved it)."""
    found = session.execute(_query().where(Row.id == publication_id).with_for_update(of=Row)).first()
    if found is None or found[0].status != status:
        return None
    return _record(*found)


def move(
    session: Session,
    *,
    publication_id: int,
    status: PublicationStatus,
    now: datetime,
    next_check_at: datetime | None = None,
    approval_status: str | None = None,
    proposal_id: int | None = None,
) -> None:
    row = session.get_one(Row, publication_id)
    row.status, row.updated_at = status, now
    row.next_check_at = next_check_at or now
    if approval_status is not None and row.approval_status not in ("approved", "rejected"):
        row.approval_status = approval_status
    if proposal_id is not None:
        row.proposal_id = proposal_id
    if status in PUBLICATION_ENDED and row.ended_at is None:
        row.ended_at = now


def reserve(session: Session, *, publication_id: int, reservation: Reservation, now: datetime) -> None:
    """Commit what the schedule is sent with: a fresh Idempotency-Key, the slot, the targets."""
    row = session.get_one(Row, publication_id)
    row.status, row.updated_at = PublicationStatus.SCHEDULING, now
    row.idempotency_key = mint_idempotency_key()
    row.scheduled_for, row.targets = reservation.scheduled_for, list(reservation.targets)
    row.schedule_decision_id = reservation.decision_id
    row.attempts += 1
    row.next_check_at = reservation.resend_at


def proposal(session: Session, *, decision_id: int) -> tuple[ApprovalStatus, str | None] | None:
    """How ops answered a schedule proposal: its status and who decided."""
    row = session.get(Approval, decision_id)
    return (ApprovalStatus(row.status), row.decided_by) if row is not None else None


def wake(session: Session, *, container_id: str, approval_status: str, now: datetime) -> bool:
    """A `content.*` webhook told the container's review: the next tick takes it up; False if not ours."""
    row = session.scalars(select(Row).where(Row.container_id == container_id).with_for_update()).first()
    if row is None:
        return False
    if row.approval_status not in ("approved", "rejected"):
        row.approval_status = approval_status
    if row.status in (PublicationStatus.AWAITING_REVIEW, PublicationStatus.BLOCKED):
        row.next_check_at = now
    return True


def for_clones(session: Session, *, clone_ids: Sequence[int]) -> list[Row]:
    return list(session.scalars(select(Row).where(Row.clone_id.in_(clone_ids)).order_by(Row.id)))
