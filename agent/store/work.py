"""Submitted work, one lifecycle for clones and commissions: minted, locked for sending, submitted (its job
followed from then on), finished or rejected.

Each step is one function for both kinds, so the crash-safety argument is made once: the ids a send uses
were committed before the send, and a row is only ever sent while it is `pending` under a row lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.records import CloneSpec, CommissionSpec, SendOrder, Submission, WorkItem
from agent.domain.vocabulary import DEAD_WORK, CloneOrigin, JobStatus, LoopName, WorkKind, WorkStatus
from agent.store.dialect import insert
from agent.store.models import Clone, Commission, Customer, Job

WorkRow = Clone | Commission
Model = TypeVar("Model", Clone, Commission)


def _row(session: Session, kind: WorkKind, work_id: int, *, lock: bool = False) -> WorkRow:
    for_update = True if lock else None
    if kind is WorkKind.CLONE:
        return session.get_one(Clone, work_id, with_for_update=for_update)
    return session.get_one(Commission, work_id, with_for_update=for_update)


def _pending(session: Session, model: type[Model], run_id: int) -> list[Model]:
    query = select(model).where(model.run_id == run_id, model.status == WorkStatus.PENDING).order_by(model.id)
    return list(session.scalars(query))


def to_record(row: WorkRow) -> WorkItem:
    spec: CloneSpec | CommissionSpec
    if isinstance(row, Clone):
        kind = WorkKind.CLONE
        spec = CloneSpec(row.source_post_id, row.mode, row.variations, CloneOrigin(row.origin), row.slot)
    else:
        kind = WorkKind.COMMISSION
        spec = CommissionSpec(row.hook, row.hook_source_post_id, row.variant_count)
    return WorkItem(
        id=row.id,
        kind=kind,
        customer_id=row.customer_id,
        loop=LoopName(row.loop),
        container_id=row.container_id,
        idempotency_key=row.idempotency_key,
        status=WorkStatus(row.status),
        spec=spec,
        run_id=row.run_id,
        decision_id=row.decision_id,
        job_id=row.job_id,
    )


def link_decision(session: Session, *, kind: WorkKind, work_id: int, decision_id: int) -> None:
    """Name the decision that asked for this work (recorded right after the work was reserved)."""
    _row(session, kind, work_id).decision_id = decision_id


def pending_for_run(session: Session, *, run_id: int) -> list[WorkItem]:
    """What this run minted and has not sent yet (all of it, after a crash): commissions, then clones."""
    rows: list[WorkRow] = [*_pending(session, Commission, run_id), *_pending(session, Clone, run_id)]
    return [to_record(row) for row in rows]


def begin_send(session: Session, *, kind: WorkKind, work_id: int) -> SendOrder | None:
    """Lock a pending item and count the attempt; None when it was already sent (or finished)."""
    row = _row(session, kind, work_id, lock=True)
    if row.status != WorkStatus.PENDING:
        return None
    row.send_attempts += 1
    project_id = session.scalars(
        select(Customer.layers_project_id).where(Customer.id == row.customer_id)
    ).one()
    return SendOrder(work=to_record(row), project_id=project_id)


def mark_submitted(session: Session, *, kind: WorkKind, work_id: int, submission: Submission) -> None:
    """Layers accepted the work: remember its job and start following it (a replayed job id is a no-op)."""
    row = _row(session, kind, work_id)
    now, first_poll_s = submission.now, submission.first_poll_s
    row.job_id, row.status, row.submitted_at = submission.job_id, WorkStatus.SUBMITTED, now
    owner = {"clone_id": work_id} if kind is WorkKind.CLONE else {"commission_id": work_id}
    session.execute(
        insert(session, Job)
        .values(
            job_id=submission.job_id,
            kind=kind,
            customer_id=row.customer_id,
            status=JobStatus.RUNNING,
            poll_interval_s=first_poll_s,
            next_poll_at=now + timedelta(seconds=first_poll_s),
            deadline_at=now + timedelta(seconds=submission.timeout_s),
            created_at=now,
            **owner,
        )
        .on_conflict_do_nothing(index_elements=["job_id"])
    )


def finish(
    session: Session,
    *,
    kind: WorkKind,
    work_id: int,
    status: WorkStatus,
    now: datetime,
    error_code: str | None = None,
    error_message: str | None = None,
) -> WorkItem:
    """Record how the work ended; failed and canceled clones produced nothing and give their slot back."""
    row = _row(session, kind, work_id)
    row.status, row.finished_at = status, now
    row.error_code, row.error_message = error_code, error_message
    if isinstance(row, Clone) and status in DEAD_WORK:
        row.slot = None
    session.flush()
    return to_record(row)
