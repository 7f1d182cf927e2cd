"""The consent gate's rows: an action waiting for consent, keyed by the decision that proposed it, with its
Idempotency-Key minted with the proposal so that an execution retried after a crash is replayed, not
repeated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.decisions import ConsentRequest
from agent.domain.ids import mint_idempotency_key
from agent.domain.records import ApprovalRecord
from agent.domain.vocabulary import ApprovalStatus, CustomerMode
from agent.store.models import Approval, Customer, Decision

POLICY_ACTOR = "policy"


def propose(
    session: Session,
    *,
    decision_id: int,
    request: ConsentRequest,
    recommendation_row_id: int | None,
    now: datetime,
) -> None:
    """A pending proposal, or an approved one when the customer's policy allows its kind."""
    customer_id = session.scalars(select(Decision.customer_id).where(Decision.id == decision_id)).one()
    session.add(
        Approval(
            decision_id=decision_id,
            customer_id=customer_id,
            kind=request.kind,
            method=request.method,
            path=request.path,
            body=request.body,
            idempotency_key=mint_idempotency_key(),
            status=ApprovalStatus.APPROVED if request.auto_approved else ApprovalStatus.PENDING,
            recommendation_id=recommendation_row_id,
            decided_by=POLICY_ACTOR if request.auto_approved else None,
            decided_at=now if request.auto_approved else None,
        )
    )
    session.flush()


def lock(session: Session, *, decision_id: int) -> ApprovalRecord | None:
    """The proposal, locked for deciding or executing it; None when the decision proposed nothing."""
    row = session.scalars(
        select(Approval).where(Approval.decision_id == decision_id).with_for_update()
    ).one_or_none()
    if row is None:
        return None
    mode = session.scalars(select(Customer.mode).where(Customer.id == row.customer_id)).one()
    return ApprovalRecord(
        decision_id=row.decision_id,
        customer_id=row.customer_id,
        kind=row.kind,
        method=row.method,
        path=row.path,
        body=row.body,
        idempotency_key=row.idempotency_key,
        status=ApprovalStatus(row.status),
        recommendation_id=row.recommendation_id,
        customer_mode=CustomerMode(mode),
    )


def decide(
    session: Session, *, decision_id: int, status: ApprovalStatus, actor: str, now: datetime, note: str | None
) -> None:
    """Record who approved or rejected the proposal, and when."""
    row = session.get_one(Approval, decision_id)
    row.status, row.decided_by, row.decided_at, row.note = status, actor, now, note


def settle(
    session: Session, *, decision_id: int, status: ApprovalStatus, now: datetime, result: dict[str, Any]
) -> None:
    """How the execution ended: executed, failed at Layers, or refused before sending."""
    row = session.get_one(Approval, decision_id)
    row.status, row.result = status, result
    if status is ApprovalStatus.EXECUTED:
        row.executed_at = now


def approved(session: Session, *, customer_id: int | None = None) -> list[int]:
    """Proposals approved and not executed yet (policy auto-approvals, a crash, a busy Layers)."""
    query = (
        select(Approval.decision_id)
        .where(Approval.status == ApprovalStatus.APPROVED)
        .order_by(Approval.decision_id)
    )
    if customer_id is not None:
        query = query.where(Approval.customer_id == customer_id)
    return list(session.scalars(query))
