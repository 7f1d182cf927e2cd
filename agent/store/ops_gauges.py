"""The numbers behind the worker's gauges, read at scrape time: today's runs by status, the oldest queued
run, jobs in flight, proposals waiting, and beat's last ticks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import ApprovalStatus, JobStatus, RunStatus, Tick
from agent.store import heartbeats
from agent.store.models import Approval, Job, Run


@dataclass(frozen=True)
class Gauges:
    runs_today: dict[str, int]  # by status, runs created since UTC midnight
    oldest_queued_at: datetime | None
    jobs_in_flight: int
    pending_approvals: int  # waiting for consent (approved ones wait to execute, not for people)
    last_dispatch: datetime | None
    last_sweep: datetime | None


def read(session: Session, *, now: datetime) -> Gauges:
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    today = dict(
        session.execute(
            select(Run.status, func.count()).where(Run.created_at >= midnight).group_by(Run.status)
        )
        .tuples()
        .all()
    )
    oldest = session.execute(
        select(func.min(Run.enqueued_at)).where(Run.status == RunStatus.QUEUED)
    ).scalar_one()
    flying = session.execute(select(func.count()).select_from(Job).where(Job.status == JobStatus.RUNNING))
    waiting = select(func.count()).select_from(Approval).where(Approval.status == ApprovalStatus.PENDING)
    beats = heartbeats.last_seen(session)
    return Gauges(
        runs_today={status: today.get(status, 0) for status in RunStatus},
        oldest_queued_at=oldest.replace(tzinfo=UTC)
        if oldest is not None and oldest.tzinfo is None
        else oldest,
        jobs_in_flight=flying.scalar_one(),
        pending_approvals=session.execute(waiting).scalar_one(),
        last_dispatch=beats.get(Tick.DISPATCH),
        last_sweep=beats.get(Tick.SWEEP),
    )
