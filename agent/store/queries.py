"""Read-only queries behind the ops commands (`agent decisions`, `clones`, `runs`, `pending`, `explain`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.store import customers
from agent.store.models import Approval, Customer, Decision

RELATIVE = re.compile(r"^(\d+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """`7d`, `24h`, `30m`, or a date `YYYY-MM-DD` (UTC midnight)."""
    now = now or datetime.now(UTC)
    match = RELATIVE.match(value.strip())
    if match:
        return now - timedelta(**{UNITS[match[2]]: int(match[1])})
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since {value!r}: use 7d, 24h, 30m or a date like 2026-11-01") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def customer_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Customer.id, Customer.name)).tuples().all())


def decisions(
    session: Session,
    *,
    customer: str | None = None,
    loop: str | None = None,
    action: str | None = None,
    reason: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[Decision]:
    query = select(Decision).order_by(Decision.created_at.desc(), Decision.id.desc()).limit(limit)
    if customer is not None:
        query = query.where(Decision.customer_id == customers.find(session, customer).id)
    if loop is not None:
        query = query.where(Decision.loop == loop.replace("-", "_"))
    if action is not None:
        query = query.where(Decision.action == action)
    if reason is not None:
        query = query.where(Decision.reason == reason)
    if subject is not None:
        query = query.where(Decision.subject_id == subject)
    if since is not None:
        query = query.where(Decision.created_at >= since)
    return list(session.scalars(query))


def pending_approvals(session: Session, *, customer: str | None = None) -> list[tuple[Approval, str]]:
    query = (
        select(Approval, Customer.name)
        .join(Customer, Customer.id == Approval.customer_id)
        .where(Approval.status.in_(("pending", "approved")))
        .order_by(Approval.created_at)
    )
    if customer is not None:
        query = query.where(Approval.customer_id == customers.find(session, customer).id)
    return list(session.execute(query).tuples())
