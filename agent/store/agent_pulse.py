"""The agent's own pulse for `agent health` and the metrics: beat's heartbeats, and the runs that failed
or are stuck, counted in two queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import RunStatus, Tick
from agent.rules.agent_health import Pulse, StuckCutoffs
from agent.store import heartbeats
from agent.store.models import Run


def pulse(session: Session, *, now: datetime, cutoffs: StuckCutoffs, customer_id: int | None = None) -> Pulse:
    mine = [Run.customer_id == customer_id] if customer_id is not None else []
    failed = select(func.count()).where(
        Run.status == RunStatus.FAILED, Run.finished_at >= cutoffs.failed_since, *mine
    )
    stuck = select(func.count()).where(
        or_(
            and_(Run.status == RunStatus.RUNNING, Run.lease_until < cutoffs.lease_lapsed_before),
            and_(Run.status == RunStatus.QUEUED, Run.enqueued_at < cutoffs.queued_before),
            and_(Run.status == RunStatus.PENDING, Run.created_at < cutoffs.pending_before),
        ),
        *mine,
    )
    beats = heartbeats.last_seen(session)
    return Pulse(
        now=now,
        last_dispatch=beats.get(Tick.DISPATCH),
        last_sweep=beats.get(Tick.SWEEP),
        failed_runs=session.execute(failed.select_from(Run)).scalar_one(),
        stuck_runs=session.execute(stuck.select_from(Run)).scalar_one(),
    )
