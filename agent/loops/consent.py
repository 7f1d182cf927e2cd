"""The consent gate: anything that overrides the optimizer or changes a customer's setup waits here.

A proposal is an `approvals` row keyed by the decision that proposed it, with its Idempotency-Key minted
up front. `approve` records who approved it and when, then executes it; every step is a decision too. A
crash between approving and executing is finished by approving again (or the sweeper): the same key makes
Layers replay the first execution instead of applying it twice. Each proposal is executed on its own, so
one bad row (a refused path, a Layers error) never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agent.domain.decisions import FollowUp
from agent.domain.evidence import ConsentStep
from agent.domain.publishing import SCHEDULE_CLONE_KIND
from agent.domain.records import ApprovalRecord
from agent.domain.vocabulary import Action, ApprovalStatus, CustomerMode, Reason, RecommendationStatus
from agent.layers.errors import LayersError
from agent.logging import get_logger
from agent.loops.failures import TRANSIENT
from agent.loops.ports import Deps, Store
from agent.rules.actions import UnsafeSuggestedAction, validate_suggested_action

log = get_logger(__name__)


# A schedule proposal is carried out by the publishing tick (`agent.loops.publishing`), at the posting slot
# current when consent is given, which the proposal could not know.
SCHEDULED_BY_TICK = "approved: scheduled by the publishing tick at the customer's next posting slot"


class ConsentError(Exception):
    """The decision is not waiting for consent (unknown, already decided, or not a proposal)."""


class Held(StrEnum):
    """Why an approved action was not executed this time; it stays approved and is executed later."""

    KILL_SWITCH = "the kill switch is on"
    SHADOW_MODE = "the customer is in shadow mode"


@dataclass(frozen=True)
class Verdict:
    decision_id: int
    status: ApprovalStatus
    detail: str


def approve(deps: Deps, decision_id: int, *, actor: str, note: str | None = None) -> Verdict:
    """Record the approval (who, when), then execute the action exactly once."""
    with deps.store() as store:
        approval = _locked(store, decision_id)
        if approval.status is ApprovalStatus.PENDING:
            store.decide_approval(
                decision_id=decision_id,
                status=ApprovalStatus.APPROVED,
                actor=actor,
                now=deps.now(),
                note=note,
            )
            _follow_up(store, approval, Action.APPROVE, Reason.APPROVED_BY_CUSTOMER, actor=actor, note=note)
        elif approval.status is not ApprovalStatus.APPROVED:
            raise ConsentError(f"decision {decision_id} was already {approval.status}")
    return execute(deps, decision_id)


def reject(deps: Deps, decision_id: int, *, actor: str, note: str | None = None) -> Verdict:
    with deps.store() as store:
        approval = _locked(store, decision_id)
        if approval.status is not ApprovalStatus.PENDING:
            raise ConsentError(f"decision {decision_id} was already {approval.status}")
        store.decide_approval(
            decision_id=decision_id, status=ApprovalStatus.REJECTED, actor=actor, now=deps.now(), note=note
        )
        _follow_up(store, approval, Action.REJECT, Reason.REJECTED_BY_CUSTOMER, actor=actor, note=note)
        _settle_recommendation(store, approval, RecommendationStatus.DISMISSED)
    return Verdict(decision_id, ApprovalStatus.REJECTED, note or "")


def execute(deps: Deps, decision_id: int) -> Verdict:
    """Send an approved action with its persisted Idempotency-Key; record the outcome as a decision."""
    with deps.store() as store:
        approval = _locked(store, decision_id)
        if approval.status is not ApprovalStatus.APPROVED:
            return Verdict(decision_id, approval.status, "nothing to execute")
        if approval.kind == SCHEDULE_CLONE_KIND:  # issue 15: consent recorded; the schedule is the tick's
            return Verdict(decision_id, ApprovalStatus.APPROVED, SCHEDULED_BY_TICK)
        held = _held(deps, approval)
        if held is not None:
            return Verdict(decision_id, ApprovalStatus.APPROVED, f"approved, not executed: {held}")
        try:
            action = validate_suggested_action(approval.method, approval.path)
        except UnsafeSuggestedAction as exc:
            return _refused(deps, store, approval, exc)
    try:
        response = deps.client.call_relative(
            action.method, action.path, body=approval.body, idempotency_key=approval.idempotency_key
        )
    except TRANSIENT as exc:
        return Verdict(
            decision_id, ApprovalStatus.APPROVED, f"Layers is busy ({type(exc).__name__}); will execute later"
        )
    except LayersError as exc:
        return _ended(
            deps, approval, ApprovalStatus.FAILED, {"error": str(exc), "code": exc.code}, note=str(exc)
        )
    _ended(
        deps,
        approval,
        ApprovalStatus.EXECUTED,
        {"response": response if isinstance(response, dict) else None},
    )
    log.info("approved_action_executed", decision_id=decision_id, method=action.method, path=action.path)
    return Verdict(decision_id, ApprovalStatus.EXECUTED, f"{action.method} {action.path}")


def execute_approved(deps: Deps, *, customer_id: int | None = None) -> int:
    """Finish approved actions that were not executed yet (policy auto-approvals, crashes); returns how many ran."""
    with deps.store() as store:
        pending = store.approved_proposals(customer_id=customer_id)
    return sum(execute(deps, decision_id).status is ApprovalStatus.EXECUTED for decision_id in pending)


def _locked(store: Store, decision_id: int) -> ApprovalRecord:
    approval = store.lock_approval(decision_id=decision_id)
    if approval is None:
        raise ConsentError(f"decision {decision_id} is not an action waiting for approval")
    return approval


def _held(deps: Deps, approval: ApprovalRecord) -> Held | None:
    if deps.settings.kill_switch:
        return Held.KILL_SWITCH
    if approval.customer_mode is CustomerMode.SHADOW:
        return Held.SHADOW_MODE
    return None


def _refused(deps: Deps, store: Store, approval: ApprovalRecord, exc: UnsafeSuggestedAction) -> Verdict:
    """An approved action the agent never sends (a method or path outside the one rule): refused, recorded."""
    result = {"error": str(exc), "refusal": exc.reason}
    store.settle_approval(
        decision_id=approval.decision_id, status=ApprovalStatus.REFUSED, now=deps.now(), result=result
    )
    _follow_up(store, approval, Action.REFUSE, Reason.UNSAFE_APPROVED_ACTION, actor="agent", note=exc.reason)
    _settle_recommendation(store, approval, RecommendationStatus.DISMISSED)
    log.warning("approved_action_refused", decision_id=approval.decision_id, refusal=exc.reason)
    return Verdict(approval.decision_id, ApprovalStatus.REFUSED, str(exc))


def _ended(
    deps: Deps,
    approval: ApprovalRecord,
    status: ApprovalStatus,
    result: dict[str, Any],
    note: str | None = None,
) -> Verdict:
    with deps.store() as store:
        store.settle_approval(decision_id=approval.decision_id, status=status, now=deps.now(), result=result)
        if status is ApprovalStatus.EXECUTED:
            _follow_up(
                store, approval, Action.EXECUTE, Reason.EXECUTED_AFTER_APPROVAL, actor="agent", note=None
            )
            _settle_recommendation(store, approval, RecommendationStatus.ACTED_ON)
        else:
            _follow_up(store, approval, Action.ERROR, Reason.EXECUTION_FAILED, actor="agent", note=note)
    return Verdict(approval.decision_id, status, note or "")


def _follow_up(
    store: Store, approval: ApprovalRecord, action: Action, reason: Reason, *, actor: str, note: str | None
) -> None:
    store.record_follow_up(
        FollowUp(
            parent_id=approval.decision_id,
            action=action,
            reason=reason,
            evidence=ConsentStep(method=approval.method, path=approval.path, kind=approval.kind, note=note),
            actor=actor,
            dedupe_key=f"approval:{approval.decision_id}:{action}",
        )
    )


def _settle_recommendation(store: Store, approval: ApprovalRecord, status: RecommendationStatus) -> None:
    if approval.recommendation_id is not None:
        store.set_recommendation_status(row_id=approval.recommendation_id, status=status, decision_id=None)
