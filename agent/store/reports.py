"""Read-only reports behind the ops commands (`agent decisions`, `clones`, `runs`, `pending`, `explain`, `health`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import APPROVAL_WAITING, LIVE_WORK, ApprovalStatus, JobStatus
from agent.rules.health import CustomerHealth
from agent.store import customers
from agent.store.models import (
    Approval,
    Clone,
    Customer,
    Decision,
    Job,
    OrganicSnapshot,
    Run,
)

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


def all_decisions(session: Session) -> list[Decision]:
    """Every decision, by customer then in order (the demo prints them all)."""
    return list(session.scalars(select(Decision).order_by(Decision.customer_id, Decision.id)))


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
        query = query.where(Decision.customer_id == customers.find(session, ref=customer).id)
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
        .where(Approval.status.in_(APPROVAL_WAITING))
        .order_by(Approval.created_at)
    )
    if customer is not None:
        query = query.where(Approval.customer_id == customers.find(session, ref=customer).id)
    return list(session.execute(query).tuples())


def health_inputs(session: Session, *, now: datetime, days: int = 7) -> list[CustomerHealth]:
    """Gather the health numbers for every enabled customer in four grouped queries."""
    since = now - timedelta(days=days)
    failures: dict[int, dict[date, int]] = {}
    failed_jobs = select(Job.customer_id, Job.finished_at).where(
        Job.status.in_((JobStatus.FAILED, JobStatus.TIMED_OUT)), Job.finished_at >= since
    )
    for customer_id, finished_at in session.execute(failed_jobs):
        per_day = failures.setdefault(customer_id, {})
        per_day[finished_at.date()] = per_day.get(finished_at.date(), 0) + 1
    series: dict[int, list[tuple[date, float]]] = {}
    latest_published: dict[int, int | None] = {}
    snapshots = (
        select(OrganicSnapshot)
        .where(OrganicSnapshot.snapshot_date >= since.date())
        .order_by(OrganicSnapshot.customer_id, OrganicSnapshot.snapshot_date)
    )
    for snap in session.scalars(snapshots):
        if snap.average_organic_score is not None:
            series.setdefault(snap.customer_id, []).append((snap.snapshot_date, snap.average_organic_score))
        latest_published[snap.customer_id] = snap.posts_published_14d
    overrides = dict(
        session.execute(
            select(Approval.customer_id, func.count())
            .where(
                Approval.status == ApprovalStatus.EXECUTED,
                Approval.executed_at >= since,
                Approval.method == "PATCH",
                Approval.path.contains("/ads-content/"),
            )
            .group_by(Approval.customer_id)
        )
        .tuples()
        .all()
    )
    return [
        CustomerHealth(
            customer_id=c.id,
            name=c.name,
            job_failures_by_day=failures.get(c.id, {}),
            posts_published_14d=latest_published.get(c.id),
            score_series=series.get(c.id, []),
            overrides_last_week=overrides.get(c.id, 0),
        )
        for c in session.scalars(select(Customer).where(Customer.enabled.is_(True)).order_by(Customer.id))
    ]


def runs(
    session: Session, *, customer: str | None = None, loop: str | None = None, limit: int = 50
) -> list[tuple[Run, str]]:
    query = (
        select(Run, Customer.name)
        .join(Customer, Customer.id == Run.customer_id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(limit)
    )
    if customer is not None:
        query = query.where(Run.customer_id == customers.find(session, ref=customer).id)
    if loop is not None:
        query = query.where(Run.loop == loop.replace("-", "_"))
    return list(session.execute(query).tuples())


@dataclass(frozen=True)
class CloneCount:
    customer: str
    source_post_id: str
    counted: int
    uncounted: int
    last_cloned_at: datetime


def clone_counts(
    session: Session, *, customer: str | None = None, source: str | None = None
) -> list[CloneCount]:
    counted = func.sum(case((Clone.status.in_(LIVE_WORK), 1), else_=0))
    query = (
        select(
            Customer.name, Clone.source_post_id, counted, func.count() - counted, func.max(Clone.created_at)
        )
        .join(Customer, Customer.id == Clone.customer_id)
        .group_by(Customer.name, Clone.source_post_id)
        .order_by(Customer.name, Clone.source_post_id)
    )
    if customer is not None:
        query = query.where(Clone.customer_id == customers.find(session, ref=customer).id)
    if source is not None:
        query = query.where(Clone.source_post_id == source)
    return [CloneCount(*row) for row in session.execute(query).tuples()]


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    customer: Customer
    clone: Clone | None
    job: Job | None
    approval: Approval | None
    followups: list[Decision]


def explanation(session: Session, *, decision_id: int) -> Explanation:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise LookupError(f"no decision {decision_id}")
    clone = session.scalars(select(Clone).where(Clone.decision_id == decision.id)).one_or_none()
    job = None
    if clone is not None:
        job = session.scalars(select(Job).where(Job.clone_id == clone.id)).one_or_none()
    approval = session.get(Approval, decision.id)
    followups = list(
        session.scalars(select(Decision).where(Decision.parent_id == decision.id).order_by(Decision.id))
    )
    return Explanation(
        decision, session.get_one(Customer, decision.customer_id), clone, job, approval, followups
    )
