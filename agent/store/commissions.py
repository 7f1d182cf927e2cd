"""Commissions: requests for fresh creative, with their ids minted before the call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.ids import mint_container_id, mint_idempotency_key
from agent.domain.records import NewCommission, WorkItem
from agent.domain.vocabulary import LIVE_WORK, WorkStatus
from agent.store.models import Commission
from agent.store.work import to_record


def reserve(session: Session, *, new: NewCommission) -> WorkItem:
    commission = Commission(
        customer_id=new.customer_id,
        run_id=new.run_id,
        loop=new.loop,
        container_id=mint_container_id(),
        idempotency_key=mint_idempotency_key(),
        hook=new.hook,
        hook_source_post_id=new.hook_source_post_id,
        variant_count=new.variant_count,
        status=WorkStatus.PENDING,
    )
    session.add(commission)
    session.flush()
    return to_record(commission)


def last_live_at(session: Session, *, customer_id: int) -> datetime | None:
    """When the customer's latest commission that exists at Layers was made (failed ones start no cooldown)."""
    return session.scalars(
        select(Commission.created_at)
        .where(Commission.customer_id == customer_id, Commission.status.in_(LIVE_WORK))
        .order_by(Commission.created_at.desc())
        .limit(1)
    ).first()
