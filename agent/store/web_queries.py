"""The web decision log's reads (issue 14): every list is a keyset page (`id < before`, newest first, one
row more than shown to know whether there is a next page), so a page costs the same on the 100,000th
decision as on the first; the indexes it walks are in the notifications migration.

They read through `agent.store.readonly.ReadOnlyDatabase` (the ops role, no idempotency key selected).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import APPROVAL_WAITING, LIVE_WORK
from agent.store.models import (
    Approval,
    Clone,
    Commission,
    Customer,
    Decision,
    HealthSignal,
    Job,
    Notification,
    Run,
)
from agent.store.reports import DecisionQuery, same_subject


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_before: int | None  # the cursor of the next (older) page, None on the last one


def _page(rows: Sequence[Any], limit: int, key: str = "id") -> Page:
    dicts = [dict(row._mapping) for row in rows]
    more = len(dicts) > limit
    dicts = dicts[:limit]
    return Page(dicts, dicts[-1][key] if more and dicts else None)


def _older(statement: Select[Any], column: Any, before: int | None, limit: int) -> Select[Any]:
    if before is not None:
        statement = statement.where(column < before)
    return statement.order_by(column.desc()).limit(limit + 1)


# ---- decisions ----------------------------------------------------------------------------------------

DECISION_ROW = (
    Decision.id,
    Decision.created_at,
    Decision.customer_id,
    Customer.name.label("customer"),
    Customer.timezone,
    Decision.run_id,
    Decision.loop,
    Decision.action,
    Decision.reason,
    Decision.subject_type,
    Decision.subject_id,
    Decision.actor,
    Decision.parent_id,
    Clone.status.label("clone_status"),
    Clone.approval_status.label("clone_review"),
    Clone.job_id.label("clone_job_id"),
    Commission.status.label("commission_status"),
    Approval.status.label("approval_status"),
)
EQUAL_FILTERS = ("customer_id", "loop", "action", "reason", "run_id")


def _decision_rows() -> Select[Any]:
    return (
        select(*DECISION_ROW)
        .join(Customer, Customer.id == Decision.customer_id)
        .outerjoin(Clone, Clone.decision_id == Decision.id)
        .outerjoin(Commission, Commission.decision_id == Decision.id)
        .outerjoin(Approval, Approval.decision_id == Decision.id)
    )


def filters(query: DecisionQuery) -> list[ColumnElement[bool]]:
    """The CLI's filters (`agent decisions`), as conditions on the decision table."""
    found = [
        getattr(Decision, name) == getattr(query, name)
        for name in EQUAL_FILTERS
        if getattr(query, name) is not None
    ]
    if query.subject is not None:
        found.append(same_subject(Decision.subject_id, query.subject))
    if query.since is not None:
        found.append(Decision.created_at >= query.since)
    if query.until is not None:
        found.append(Decision.created_at < query.until)
    return found


def decision_page(session: Session, *, query: DecisionQuery, before: int | None, limit: int) -> Page:
    statement = _decision_rows().where(*filters(query))
    return _page(session.execute(_older(statement, Decision.id, before, limit)).all(), limit)


def day_edges(session: Session, *, customer_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """The newest decision before the day and the oldest after it: the timeline's previous and next day."""
    mine = Decision.customer_id == customer_id
    earlier = select(func.max(Decision.created_at)).where(mine, Decision.created_at < start)
    later = select(func.min(Decision.created_at)).where(mine, Decision.created_at >= end)
    return {"earlier": session.scalar(earlier), "later": session.scalar(later)}


def latest_decision_at(session: Session, *, customer_id: int) -> datetime | None:
    return session.scalar(select(func.max(Decision.created_at)).where(Decision.customer_id == customer_id))


def followups(session: Session, *, decision_id: int) -> list[dict[str, Any]]:
    rows = session.execute(_decision_rows().where(Decision.parent_id == decision_id).order_by(Decision.id))
    return [dict(row._mapping) for row in rows]


def notifications_of(session: Session, *, decision_id: int) -> list[dict[str, Any]]:
    columns = (Notification.id, Notification.channel, Notification.event, Notification.status)
    more = (Notification.attempts, Notification.created_at, Notification.sent_at)
    rows = session.execute(
        select(*columns, *more).where(Notification.decision_id == decision_id).order_by(Notification.id)
    )
    return [dict(row._mapping) for row in rows]


# ---- the fleet, customers, clones ---------------------------------------------------------------------


def customers(session: Session) -> list[Customer]:
    return list(session.scalars(select(Customer).order_by(Customer.name)))


def customer(session: Session, *, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def last_runs(session: Session, *, customer_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each customer's latest run of each loop."""
    ranked = (
        select(
            Run.id,
            Run.customer_id,
            Run.loop,
            Run.local_date,
            Run.status,
            Run.attempts,
            Run.error,
            func.row_number()
            .over(partition_by=(Run.customer_id, Run.loop), order_by=(Run.local_date.desc(), Run.id.desc()))
            .label("rank"),
        )
        .where(Run.customer_id.in_(list(customer_ids)))
        .subquery()
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in session.execute(select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.loop)):
        found.setdefault(row.customer_id, []).append(dict(row._mapping))
    return found


def clone_totals(session: Session) -> dict[int, dict[str, int]]:
    live = func.count().filter(Clone.status.in_(LIVE_WORK))
    rows = session.execute(
        select(Clone.customer_id, live.label("counted"), func.count().label("all")).group_by(
            Clone.customer_id
        )
    )
    return {r.customer_id: {"counted": r.counted, "uncounted": r.all - r.counted} for r in rows}


def waiting_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Approval.customer_id, func.count())
        .where(Approval.status.in_(APPROVAL_WAITING))
        .group_by(Approval.customer_id)
    )
    return dict(rows.tuples().all())


def lineage(session: Session, *, source_post_id: str) -> list[dict[str, Any]]:
    """Every clone of a source post, oldest first, with the decision that made it and its job."""
    rows = session.execute(
        select(
            Clone.id,
            Clone.customer_id,
            Customer.name.label("customer"),
            Clone.slot,
            Clone.origin,
            Clone.status,
            Clone.approval_status,
            Clone.container_id,
            Clone.job_id,
            Clone.created_at,
            Clone.finished_at,
            Clone.error_code,
            Clone.error_message,
            Clone.decision_id,
            Job.status.label("job_status"),
        )
        .join(Customer, Customer.id == Clone.customer_id)
        .outerjoin(Job, Job.clone_id == Clone.id)
        .where(same_subject(Clone.source_post_id, source_post_id))
        .order_by(Clone.id)
    )
    return [dict(row._mapping) for row in rows]


def job(session: Session, *, job_id: str) -> dict[str, Any] | None:
    """A job with what it works for: its clone or commission and the decision behind it."""
    row = session.execute(
        select(
            Job.id,
            Job.job_id,
            Job.kind,
            Job.status,
            Job.stage,
            Job.progress,
            Job.poll_attempts,
            Job.created_at,
            Job.finished_at,
            Job.next_poll_at,
            Job.error_code,
            Job.error_message,
            Customer.name.label("customer"),
            Job.customer_id,
            func.coalesce(Clone.decision_id, Commission.decision_id).label("decision_id"),
            func.coalesce(Clone.container_id, Commission.container_id).label("container_id"),
            Clone.source_post_id,
            Clone.approval_status,
        )
        .join(Customer, Customer.id == Job.customer_id)
        .outerjoin(Clone, Clone.id == Job.clone_id)
        .outerjoin(Commission, Commission.id == Job.commission_id)
        .where(Job.job_id == job_id)
    ).first()
    return dict(row._mapping) if row is not None else None


# ---- proposals, runs, health --------------------------------------------------------------------------


def proposal_page(session: Session, *, customer_id: int | None, before: int | None, limit: int) -> Page:
    statement = (
        select(
            Approval.decision_id.label("id"),
            Approval.customer_id,
            Customer.name.label("customer"),
            Approval.kind,
            Approval.method,
            Approval.path,
            Approval.body,
            Approval.status,
            Approval.created_at,
            Approval.decided_by,
        )
        .join(Customer, Customer.id == Approval.customer_id)
        .where(Approval.status.in_(APPROVAL_WAITING))
    )
    if customer_id is not None:
        statement = statement.where(Approval.customer_id == customer_id)
    return _page(session.execute(_older(statement, Approval.decision_id, before, limit)).all(), limit)


def run_page(
    session: Session,
    *,
    customer_id: int | None,
    loop: str | None,
    status: str | None,
    before: int | None,
    limit: int,
) -> Page:
    statement = select(
        Run.id,
        Run.customer_id,
        Customer.name.label("customer"),
        Run.loop,
        Run.local_date,
        Run.status,
        Run.trigger,
        Run.attempts,
        Run.started_at,
        Run.finished_at,
        Run.error,
    ).join(Customer, Customer.id == Run.customer_id)
    for column, value in ((Run.customer_id, customer_id), (Run.loop, loop), (Run.status, status)):
        if value is not None:
            statement = statement.where(column == value)
    return _page(session.execute(_older(statement, Run.id, before, limit)).all(), limit)


def signal_page(session: Session, *, before: int | None, limit: int) -> Page:
    statement = select(
        HealthSignal.id,
        HealthSignal.customer_id,
        Customer.name.label("customer"),
        HealthSignal.signal,
        HealthSignal.detail,
        HealthSignal.opened_at,
        HealthSignal.cleared_at,
    ).join(Customer, Customer.id == HealthSignal.customer_id)
    return _page(session.execute(_older(statement, HealthSignal.id, before, limit)).all(), limit)
