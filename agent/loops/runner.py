"""Runs one loop for one run row: claim it, plan once (a recovery point), send what the plan minted, finish.

Every loop has the same two phases. `plan` reads Layers, decides with the pure rules, and commits the
decisions together with every id it will send, in one transaction. `execute` only sends what was
committed, so a run resumed after any crash re-sends the same ids instead of deciding again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from structlog.stdlib import BoundLogger

from agent.layers.errors import QuotaExhausted
from agent.logging import get_logger
from agent.loops.failures import PermanentFailure, TransientFailure, classify
from agent.observability import RUNS
from agent.services import Services
from agent.store import customers, runs
from agent.store.decisions import NewDecision, record
from agent.store.models import Customer, Run

log = get_logger(__name__)


class Loop(Protocol):
    name: str

    def plan(self, services: Services, *, run: Run, customer: Customer, now: datetime) -> None: ...

    def execute(self, services: Services, *, run_id: int, now: datetime) -> None: ...


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str  # succeeded | failed | not_claimed
    reason: str
    retry_in_s: float | None = None


def lock_unplanned(session: Session, run_id: int) -> Run | None:
    """Lock the run for recording its plan; None when another attempt already recorded one."""
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one()
    return None if run.planned_at is not None else run


def run_loop(services: Services, loop: Loop, run_id: int) -> RunOutcome:
    settings = services.settings
    now = services.now()
    with services.db.session() as session:
        claim = runs.claim(
            session,
            run_id,
            now=now,
            lease_s=settings.run_stale_after_s,
            max_attempts=settings.task_max_attempts,
        )
        if claim.run is None:
            if claim.reason == "attempts_exhausted":
                _record_gave_up(session, run_id, settings.task_max_attempts)
                RUNS.labels(loop.name, "failed").inc()
            return RunOutcome(run_id, "not_claimed", claim.reason)
        run = claim.run
        customer = customers.get(session, run.customer_id)
    bound = log.bind(run_id=run_id, customer_id=customer.id, loop=loop.name)
    try:
        if not customer.enabled:
            _skip_paused(services, run, now)
        else:
            if run.planned_at is None:
                loop.plan(services, run=run, customer=customer, now=now)
            loop.execute(services, run_id=run_id, now=services.now())
    except TransientFailure as failure:
        return _release(services, run_id, failure, bound, quota_wait=_held_back_by_quota(failure))
    except PermanentFailure as failure:
        return _fail(services, run, failure, bound)
    except Exception as exc:
        translated = classify(exc)
        if isinstance(translated, TransientFailure):
            return _release(services, run_id, translated, bound, quota_wait=_held_back_by_quota(exc))
        if isinstance(translated, PermanentFailure):
            return _fail(services, run, translated, bound)
        raise
    with services.db.session() as session:
        runs.finish(session, run_id, now=services.now())
    RUNS.labels(loop.name, "succeeded").inc()
    bound.info("run_succeeded")
    return RunOutcome(run_id, "succeeded", "done")


def _record_gave_up(session: Session, run_id: int, attempts: int) -> None:
    """A poison run stops here, and ops see why in the decision table rather than in a crash loop."""
    run = runs.get(session, run_id)
    evidence = {"attempts": attempts, "last_error": run.error}
    record(session, _about_run(run, "error", "attempts_exhausted", evidence, key="gave_up"))


def _about_run(run: Run, action: str, reason: str, evidence: dict[str, object], *, key: str) -> NewDecision:
    """A decision about the run as a whole (not one post, ad or recommendation)."""
    return NewDecision(
        customer_id=run.customer_id,
        run_id=run.id,
        loop=run.loop,
        action=action,
        reason=reason,
        subject_type="run",
        subject_id=str(run.id),
        evidence=evidence,
        dedupe_key=f"run:{run.id}:{key}",
    )


def _skip_paused(services: Services, run: Run, now: datetime) -> None:
    with services.db.session() as session:
        record(session, _about_run(run, "skip", "customer_paused", {}, key="paused"))
        locked = lock_unplanned(session, run.id)
        if locked is not None:
            locked.planned_at = now


def _held_back_by_quota(exc: BaseException | None) -> bool:
    """Our own limiter kept a call from being sent (QuotaExhausted, raised as is or wrapped)."""
    for _ in range(10):  # a cause chain is short; the bound only guards against a cycle
        if exc is None:
            return False
        if isinstance(exc, QuotaExhausted):
            return True
        exc = exc.__cause__
    return False


def _release(
    services: Services,
    run_id: int,
    failure: TransientFailure,
    bound: BoundLogger,
    *,
    quota_wait: bool = False,
) -> RunOutcome:
    """Back to the queue. Waiting for the shared quota gives the attempt back: attempts cap runs that
    keep failing, and a burst of due customers queueing for the quota must not use them up."""
    with services.db.session() as session:
        runs.release(session, run_id, error=str(failure))
        if quota_wait:
            session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "queued", Run.attempts > 0)
                .values(attempts=Run.attempts - 1)
                .execution_options(synchronize_session=False)
            )
    bound.warning("run_deferred", error=str(failure), retry_in_s=failure.retry_in_s, quota_wait=quota_wait)
    return RunOutcome(run_id, "queued", "transient_failure", retry_in_s=failure.retry_in_s)


def _fail(services: Services, run: Run, failure: PermanentFailure, bound: BoundLogger) -> RunOutcome:
    with services.db.session() as session:
        evidence = {"message": str(failure), **failure.evidence}
        record(session, _about_run(run, "error", failure.reason, evidence, key=f"error:{run.attempts}"))
        runs.fail(session, run.id, now=services.now(), error=f"{failure.reason}: {failure}")
    RUNS.labels(run.loop, "failed").inc()
    bound.error("run_failed", reason=failure.reason, error=str(failure))
    return RunOutcome(run.id, "failed", failure.reason)
