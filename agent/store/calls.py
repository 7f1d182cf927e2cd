"""The Layers calls each run cost (`run_calls`), and what capacity reads from them: the mean calls per run
of each loop, by endpoint class, over recent local dates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import LoopName, RunStatus
from agent.rules.capacity import LoopCost
from agent.store.dialect import insert
from agent.store.models import Clone, Commission, Job, Run, RunCall

RouteTally = Mapping[tuple[str, str, str], tuple[int, int]]  # (method, route, class) -> (calls, 429 answers)
ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def add(session: Session, *, run_id: int | None, job_id: str | None, tally: RouteTally) -> None:
    """Add calls to a run's counts; a job's calls go to the run that started the job (dropped when the job
    or its run is unknown). Rows are written in key order, so concurrent writers never deadlock."""
    if run_id is None and job_id is not None:
        run_id = run_of_job(session, job_id=job_id)
    if run_id is None or session.get(Run, run_id) is None:
        return
    rows = [
        {
            "run_id": run_id,
            "method": method,
            "route": route,
            "endpoint_class": endpoint_class,
            "calls": calls,
            "rate_limited": refused,
        }
        for (method, route, endpoint_class), (calls, refused) in sorted(tally.items())
    ]
    statement = insert(session, RunCall).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["run_id", "method", "route"],
            set_={
                "calls": RunCall.calls + statement.excluded.calls,
                "rate_limited": RunCall.rate_limited + statement.excluded.rate_limited,
            },
        )
    )


def run_of_job(session: Session, *, job_id: str) -> int | None:
    """The run whose clone or commission the job is."""
    return session.execute(
        select(func.coalesce(Clone.run_id, Commission.run_id))
        .select_from(Job)
        .outerjoin(Clone, Clone.id == Job.clone_id)
        .outerjoin(Commission, Commission.id == Job.commission_id)
        .where(Job.job_id == job_id)
    ).scalar_one_or_none()


def loop_costs(session: Session, *, since: date) -> list[LoopCost]:
    """Mean calls per ended run of each loop, by class, over runs of local dates from `since` (runs with
    no call counted, such as a paused customer's, are not measured)."""
    measured = (
        select(Run.loop, func.count(func.distinct(Run.id)))
        .join(RunCall, RunCall.run_id == Run.id)
        .where(Run.local_date >= since, Run.status.in_(ENDED))
        .group_by(Run.loop)
    )
    runs = {loop: n for loop, n in session.execute(measured)}
    totals = (
        select(Run.loop, RunCall.endpoint_class, func.sum(RunCall.calls))
        .join(RunCall, RunCall.run_id == Run.id)
        .where(Run.local_date >= since, Run.status.in_(ENDED))
        .group_by(Run.loop, RunCall.endpoint_class)
    )
    calls: dict[str, dict[str, float]] = {}
    for loop, endpoint_class, total in session.execute(totals):
        calls.setdefault(loop, {})[endpoint_class] = float(total) / runs[loop]
    return [LoopCost(LoopName(loop), runs=runs[loop], calls=calls.get(loop, {})) for loop in sorted(runs)]


def rate_limited_share(session: Session, *, since: date) -> float | None:
    """The share of counted calls Layers answered 429, over the same runs (None when nothing is counted)."""
    calls, refused = session.execute(
        select(func.sum(RunCall.calls), func.sum(RunCall.rate_limited))
        .join(Run, Run.id == RunCall.run_id)
        .where(Run.local_date >= since, Run.status.in_(ENDED))
    ).one()
    return float(refused) / float(calls) if calls else None
