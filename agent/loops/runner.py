"""Runs one loop for one run row: claim it, plan once (a recovery point), send what the plan minted, finish.

Every loop has the same shape around a pure decision: `fetch` reads Layers (adapter calls only), `load`
reads what the agent itself remembers, `decide` calls the rules, `record` hands the decisions to the store.
The runner owns the plan transaction and its bookkeeping: the policy, the lock that makes planning happen
once, the recovery point (`planned_at` and the rule version) and the crash point after its commit. `send`
only transmits what was committed, so a run resumed after any crash re-sends the same ids instead of
deciding again. The transaction that ends a run also creates the run of the loop that follows it (the
hand-off, `scheduling.HAND_OFF`), for the task to send right after the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from structlog.contextvars import bound_contextvars

from agent.config import Settings
from agent.crashpoints import CrashPoint, crashpoint
from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import Evidence, GaveUp, NoEvidence
from agent.domain.records import CustomerRecord, RunRecord
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType
from agent.layers import quota
from agent.layers.errors import LayersError
from agent.logging import get_logger
from agent.loops.failures import PermanentFailure, TransientFailure, translate
from agent.loops.notifications import notify_recorded
from agent.loops.ports import Deps, Store
from agent.loops.recording import Planning
from agent.loops.scheduling import HAND_OFF
from agent.observability import RUNS
from agent.rules.policy import Policy, policy_for

log = get_logger(__name__)

InputsT = TypeVar("InputsT")
KnownT = TypeVar("KnownT")
PlanT = TypeVar("PlanT")


class Loop(Protocol[InputsT, KnownT, PlanT]):
    name: LoopName

    def fetch(self, deps: Deps, customer: CustomerRecord, policy: Policy, now: datetime) -> InputsT: ...
    def load(self, store: Store, customer: CustomerRecord, now: datetime) -> KnownT: ...
    def decide(self, inputs: InputsT, known: KnownT, policy: Policy, now: datetime) -> PlanT: ...
    def record(self, store: Store, planning: Planning, plan: PlanT) -> None: ...
    def send(self, deps: Deps, run: RunRecord) -> None: ...


class Ended(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    QUEUED = "queued"  # deferred: back to the queue after a transient failure
    NOT_CLAIMED = "not_claimed"


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: Ended
    reason: str
    retry_after_s: float | None = None
    handed_off: int | None = None  # the next loop's run, created with this run's end: send it now


def customer_policy(settings: Settings, loop: LoopName, customer: CustomerRecord) -> Policy:
    """The thresholds and restraint in force for this customer and loop."""
    return policy_for(
        loop=loop,
        defaults=settings.thresholds(),
        overrides=customer.threshold_overrides,
        mode=customer.mode,
        kill_switch=settings.kill_switch,
        auto_approve_kinds=customer.auto_approve_kinds,
    )


def run_once(deps: Deps, run_id: int, loops: Mapping[LoopName, Loop[Any, Any, Any]]) -> RunOutcome:
    """Claim the run and take it as far as it goes this attempt."""
    settings, now = deps.settings, deps.now()
    with deps.store() as store:
        claim = store.claim_run(
            run_id=run_id,
            now=now,
            lease_s=settings.run_stale_after_s,
            max_attempts=settings.task_max_attempts,
        )
        run = claim.run
        if run is None:
            handed = None
            if claim.reason == "attempts_exhausted":
                _record_gave_up(store, run_id, settings, now)
                handed = _hand_off(store, store.get_run(run_id=run_id))
            _handed_off(deps, handed)
            return RunOutcome(run_id, Ended.NOT_CLAIMED, claim.reason, handed_off=handed)
        customer = store.get_customer(customer_id=run.customer_id)
    loop = loops[run.loop]
    with bound_contextvars(run_id=run.id, customer_id=customer.id, loop=str(run.loop)):
        try:
            if not customer.enabled:
                _skip_paused(deps, run, now)
            else:
                if run.planned_at is None:
                    _plan(deps, loop, run, customer, now)
                loop.send(deps, run)
        except LayersError as exc:
            return _failed(deps, run, translate(exc))
        except (TransientFailure, PermanentFailure) as failure:
            return _failed(deps, run, failure)
        with deps.store() as store:
            store.finish_run(run_id=run.id, now=deps.now())
            handed = _hand_off(store, run)
        _handed_off(deps, handed)
        RUNS.labels(run.loop, Ended.SUCCEEDED).inc()
        log.info("run_succeeded")
    return RunOutcome(run.id, Ended.SUCCEEDED, "done", handed_off=handed)


def preview(deps: Deps, loop: Loop[Any, KnownT, PlanT], customer: CustomerRecord) -> tuple[PlanT, Policy]:
    """Decide today's plan without recording or sending anything (`agent run --dry-run`)."""
    now = deps.now()
    policy = customer_policy(deps.settings, loop.name, customer)
    inputs = loop.fetch(deps, customer, policy, now)
    with deps.store() as store:
        known = loop.load(store, customer, now)
    return loop.decide(inputs, known, policy, now), policy


def _plan(
    deps: Deps, loop: Loop[Any, Any, Any], run: RunRecord, customer: CustomerRecord, now: datetime
) -> None:
    """Fetch, then decide and record in one transaction that also marks the run planned."""
    policy = customer_policy(deps.settings, loop.name, customer)
    with quota.run_reads():  # its first read waits for room to do them all, or the run goes back
        inputs = loop.fetch(deps, customer, policy, now)
    with deps.store() as store:
        locked = store.lock_unplanned_run(run_id=run.id)
        if locked is None:
            return  # another attempt recorded the plan meanwhile
        known = loop.load(store, customer, now)
        plan = loop.decide(inputs, known, policy, now)
        loop.record(
            store,
            Planning(run=locked, customer=customer, policy=policy, settings=deps.settings, now=now),
            plan,
        )
        store.mark_planned(run_id=run.id, now=now, rule_version=policy.rule_version)
    crashpoint(CrashPoint.AFTER_PLAN_COMMIT, deps.settings.crash_at)


def _hand_off(store: Store, run: RunRecord | None) -> int | None:
    """The hand-off between loops: the run that follows this one's loop on the same local date is created
    in the transaction that ends this one (the dispatcher stays as catch-up); its id if this made it."""
    follows = HAND_OFF.get(run.loop) if run is not None else None
    if run is None or follows is None:
        return None
    return store.start_next_run(run_id=run.id, loop=follows)


def _handed_off(deps: Deps, handed: int | None) -> None:
    """Committed, not sent yet: a crash here leaves the next run unsent, for the sweeper to send."""
    if handed is not None:
        log.info("run_handed_off", next_run_id=handed)
        crashpoint(CrashPoint.AFTER_HAND_OFF_COMMIT, deps.settings.crash_at)


def _about_run(
    run: RunRecord, action: Action, reason: Reason, evidence: Evidence, *, key: str
) -> NewDecision:
    """A decision about the run as a whole (not one post, ad or recommendation)."""
    return NewDecision(
        customer_id=run.customer_id,
        loop=run.loop,
        action=action,
        reason=reason,
        subject=Subject(SubjectType.RUN, str(run.id)),
        evidence=evidence,
        run_id=run.id,
        dedupe_key=f"run:{run.id}:{key}",
    )


def _record_gave_up(store: Store, run_id: int, settings: Settings, now: datetime) -> None:
    """A poison run stops here, and ops see why in the decision table rather than in a crash loop."""
    run = store.get_run(run_id=run_id)
    if run is None:
        return
    evidence = GaveUp(attempts=settings.task_max_attempts, last_error=run.error)
    decision = _about_run(run, Action.ERROR, Reason.ATTEMPTS_EXHAUSTED, evidence, key="gave_up")
    decision_id = store.record_decision(decision)
    notify_recorded(store, settings=settings, decision_id=decision_id, decision=decision, now=now)
    RUNS.labels(run.loop, Ended.FAILED).inc()


def _skip_paused(deps: Deps, run: RunRecord, now: datetime) -> None:
    with deps.store() as store:
        store.record_decision(
            _about_run(run, Action.SKIP, Reason.CUSTOMER_PAUSED, NoEvidence(), key="paused")
        )
        if store.lock_unplanned_run(run_id=run.id) is not None:
            store.mark_planned(run_id=run.id, now=now, rule_version=None)


def _failed(deps: Deps, run: RunRecord, failure: TransientFailure | PermanentFailure) -> RunOutcome:
    if isinstance(failure, TransientFailure):
        with deps.store() as store:
            store.release_run(run_id=run.id, error=str(failure), give_back_attempt=failure.quota_wait)
        log.warning(
            "run_deferred",
            error=str(failure),
            retry_after_s=failure.retry_after_s,
            quota_wait=failure.quota_wait,
        )
        return RunOutcome(run.id, Ended.QUEUED, "transient_failure", retry_after_s=failure.retry_after_s)
    with deps.store() as store:
        decision = _about_run(
            run, Action.ERROR, failure.reason, failure.evidence, key=f"error:{run.attempts}"
        )
        decision_id = store.record_decision(decision)
        store.fail_run(run_id=run.id, now=deps.now(), error=f"{failure.reason}: {failure}")
        notify_recorded(
            store, settings=deps.settings, decision_id=decision_id, decision=decision, now=deps.now()
        )
        handed = _hand_off(store, run)
    _handed_off(deps, handed)
    RUNS.labels(run.loop, Ended.FAILED).inc()
    log.error("run_failed", reason=failure.reason, error=str(failure))
    return RunOutcome(run.id, Ended.FAILED, failure.reason, handed_off=handed)
