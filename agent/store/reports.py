"""Read-only reports behind the ops commands (`agent decisions`, `clones`, `runs`, `pending`, `explain`, `health`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from agent.domain.ids import bare_id
from agent.domain.vocabulary import (
    APPROVAL_WAITING,
    CONFIGURATION,
    LIVE_WORK,
    ApprovalStatus,
    JobStatus,
    SubjectType,
)
from agent.rules.health import CustomerHealth
from agent.store.models import (
    Approval,
    Clone,
    Commission,
    Customer,
    Decision,
    Job,
    OrganicSnapshot,
    Recommendation,
    Run,
)

BARE_UUIDISH = re.compile(r"[0-9A-Za-z-]{20,}")


def all_decisions(session: Session) -> list[Decision]:
    """Every decision, by customer then in order (the demo prints them all)."""
    return list(session.scalars(select(Decision).order_by(Decision.customer_id, Decision.id)))


def customer_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Customer.id, Customer.name)).tuples().all())


@dataclass(frozen=True)
class DecisionQuery:
    """What `agent decisions` filters on; every field is optional. `local_windows` is the customer's own
    day, as (timezone, start, end) per timezone: a decision matches when its customer lives there."""

    customer_id: int | None = None
    loop: str | None = None
    action: str | None = None
    reason: str | None = None
    subject: str | None = None
    run_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    local_windows: tuple[tuple[str, datetime, datetime], ...] = ()


def same_subject(column: Any, value: str) -> ColumnElement[bool]:
    """A subject id as typed, with or without its prefix (`pp_0000…` and `0000…` name the same post)."""
    bare = bare_id(value) or value
    clauses = [column == value, column == bare]
    if BARE_UUIDISH.fullmatch(bare):
        clauses.append(column.like(f"%\\_{bare}", escape="\\"))
    return or_(*clauses)


def decisions(session: Session, *, query: DecisionQuery, limit: int = 50) -> tuple[list[Decision], int]:
    """The matching decisions, newest first, at most `limit` of them; and how many match in all."""
    conditions: list[ColumnElement[bool]] = []
    if query.customer_id is not None:
        conditions.append(Decision.customer_id == query.customer_id)
    if query.loop is not None:
        conditions.append(Decision.loop == query.loop)
    if query.action is not None:
        conditions.append(Decision.action == query.action)
    if query.reason is not None:
        conditions.append(Decision.reason == query.reason)
    if query.subject is not None:
        conditions.append(same_subject(Decision.subject_id, query.subject))
    if query.run_id is not None:
        conditions.append(Decision.run_id == query.run_id)
    if query.since is not None:
        conditions.append(Decision.created_at >= query.since)
    if query.until is not None:
        conditions.append(Decision.created_at < query.until)
    if query.local_windows:
        conditions.append(
            or_(
                *(
                    and_(
                        Decision.customer_id.in_(select(Customer.id).where(Customer.timezone == tz)),
                        Decision.created_at >= start,
                        Decision.created_at < end,
                    )
                    for tz, start, end in query.local_windows
                )
            )
        )
    found = select(Decision).where(*conditions)
    rows = session.scalars(found.order_by(Decision.created_at.desc(), Decision.id.desc()).limit(limit))
    total = session.execute(select(func.count()).select_from(found.subquery())).scalar_one()
    return list(rows), total


@dataclass(frozen=True)
class Proposal:
    """A proposal waiting for consent (or approved, waiting to execute), with what an approver needs."""

    approval: Approval
    customer: str
    timezone: str
    recommendation: Recommendation | None


def pending_approvals(session: Session, *, customer_id: int | None = None) -> list[Proposal]:
    query = (
        select(Approval, Customer.name, Customer.timezone, Recommendation)
        .join(Customer, Customer.id == Approval.customer_id)
        .outerjoin(Recommendation, Recommendation.id == Approval.recommendation_id)
        .where(Approval.status.in_(APPROVAL_WAITING))
        .order_by(Approval.created_at, Approval.decision_id)
    )
    if customer_id is not None:
        query = query.where(Approval.customer_id == customer_id)
    return [Proposal(*row) for row in session.execute(query).tuples()]


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
    session: Session,
    *,
    customer_id: int | None = None,
    loop: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> tuple[list[tuple[Run, str]], int]:
    """Runs, newest first, with their customer's name; and how many match in all."""
    conditions = []
    if customer_id is not None:
        conditions.append(Run.customer_id == customer_id)
    if loop is not None:
        conditions.append(Run.loop == loop)
    if status is not None:
        conditions.append(Run.status == status)
    query = select(Run, Customer.name).join(Customer, Customer.id == Run.customer_id).where(*conditions)
    rows = session.execute(query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)).tuples()
    total = session.execute(select(func.count()).select_from(Run).where(*conditions)).scalar_one()
    return list(rows), total


@dataclass(frozen=True)
class CloneCount:
    customer: str
    source_post_id: str
    counted: int
    uncounted: int
    last_cloned_at: datetime


def clone_counts(
    session: Session, *, customer_id: int | None = None, source: str | None = None
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
    if customer_id is not None:
        query = query.where(Clone.customer_id == customer_id)
    if source is not None:
        query = query.where(same_subject(Clone.source_post_id, source))
    return [CloneCount(*row) for row in session.execute(query).tuples()]


@dataclass(frozen=True)
class Explanation:
    """A decision and everything around it: its clone or commission and job, its proposal, what followed
    it, the proposal it follows (for an approval or an execution) and the recommendation it is about."""

    decision: Decision
    customer: Customer
    clone: Clone | None
    job: Job | None
    approval: Approval | None
    followups: list[Decision]
    commission: Commission | None = None
    parent: Decision | None = None
    parent_approval: Approval | None = None
    recommendation: Recommendation | None = None


def explanation(session: Session, *, decision_id: int) -> Explanation:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise LookupError(f"no decision {decision_id}")
    clone = session.scalars(select(Clone).where(Clone.decision_id == decision.id)).one_or_none()
    commission = session.scalars(
        select(Commission).where(Commission.decision_id == decision.id)
    ).one_or_none()
    job = None
    if clone is not None:
        job = session.scalars(select(Job).where(Job.clone_id == clone.id)).one_or_none()
    elif commission is not None:
        job = session.scalars(select(Job).where(Job.commission_id == commission.id)).one_or_none()
    followups = list(
        session.scalars(select(Decision).where(Decision.parent_id == decision.id).order_by(Decision.id))
    )
    parent = session.get(Decision, decision.parent_id) if decision.parent_id else None
    approval = session.get(Approval, decision.id)
    parent_approval = session.get(Approval, parent.id) if parent is not None else None
    return Explanation(
        decision,
        session.get_one(Customer, decision.customer_id),
        clone,
        job,
        approval,
        followups,
        commission=commission,
        parent=parent,
        parent_approval=parent_approval,
        recommendation=_recommendation(session, decision, approval or parent_approval),
    )


def _recommendation(session: Session, decision: Decision, approval: Approval | None) -> Recommendation | None:
    """The recommendation a decision is about: its proposal's, the one it settled, or by its subject."""
    if approval is not None and approval.recommendation_id is not None:
        return session.get(Recommendation, approval.recommendation_id)
    if decision.subject_type != SubjectType.RECOMMENDATION:
        return None
    settled = session.scalars(select(Recommendation).where(Recommendation.decision_id == decision.id)).first()
    return (
        settled
        or session.scalars(
            select(Recommendation).where(
                Recommendation.customer_id == decision.customer_id,
                Recommendation.subject_id == decision.subject_id,
            )
        ).first()
    )


def run_of_day(session: Session, *, customer_id: int, loop: str, local_date: date) -> Run | None:
    return session.scalars(
        select(Run).where(Run.customer_id == customer_id, Run.loop == loop, Run.local_date == local_date)
    ).one_or_none()


def jobs_in_flight(session: Session, *, customer_id: int | None = None) -> list[Job]:
    query = select(Job).where(Job.status == JobStatus.RUNNING).order_by(Job.id)
    if customer_id is not None:
        query = query.where(Job.customer_id == customer_id)
    return list(session.scalars(query))


def configuration_history(session: Session, *, customer_id: int, limit: int = 10) -> list[Decision]:
    """The customer's configuration changes, newest first."""
    query = (
        select(Decision)
        .where(Decision.customer_id == customer_id, Decision.loop == CONFIGURATION)
        .order_by(Decision.created_at.desc(), Decision.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
