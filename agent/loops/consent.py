"""The consent gate: anything that overrides the optimizer or changes a customer's setup waits here.

A proposal is an `approvals` row keyed by the decision that proposed it, with its Idempotency-Key minted
up front. `agent approve` records who approved it and when, then executes it; the execution is a
decision too. A crash between approving and executing is finished by approving again (or the sweeper):
the same key makes Layers replay the first execution instead of applying it twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.layers import errors
from agent.layers.errors import UnsafeActionPath
from agent.logging import get_logger
from agent.loops.failures import TRANSIENT
from agent.services import Services
from agent.store.decisions import NewDecision, record
from agent.store.models import Approval, Customer, Decision, Recommendation

log = get_logger(__name__)


class ConsentError(Exception):
    """The decision is not waiting for consent (unknown, already decided, or not a proposal)."""


@dataclass(frozen=True)
class Verdict:
    decision_id: int
    status: str
    detail: str


def propose(
    session: Session,
    *,
    decision: Decision,
    kind: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    recommendation: Recommendation | None = None,
    auto_approved: bool = False,
) -> Approval:
    approval = Approval(
        decision_id=decision.id,
        customer_id=decision.customer_id,
        kind=kind,
        method=method.upper(),
        path=path,
        body=body,
        idempotency_key=str(uuid.uuid4()),
        status="approved" if auto_approved else "pending",
        recommendation_id=recommendation.id if recommendation else None,
        decided_by="policy" if auto_approved else None,
        decided_at=decision.created_at if auto_approved else None,
    )
    session.add(approval)
    session.flush()
    return approval


def _locked(session: Session, decision_id: int) -> Approval:
    approval = session.scalars(
        select(Approval).where(Approval.decision_id == decision_id).with_for_update()
    ).one_or_none()
    if approval is None:
        raise ConsentError(f"decision {decision_id} is not an action waiting for approval")
    return approval


def approve(services: Services, decision_id: int, *, actor: str, note: str | None = None) -> Verdict:
    """Record the approval (who, when), then execute the action exactly once."""
    now = services.now()
    with services.db.session() as session:
        approval = _locked(session, decision_id)
        if approval.status == "pending":
            approval.status, approval.decided_by, approval.decided_at, approval.note = (
                "approved",
                actor,
                now,
                note,
            )
            _record(
                session, approval, action="approve", reason="approved_by_customer", actor=actor, note=note
            )
        elif approval.status in ("rejected", "executed"):
            raise ConsentError(f"decision {decision_id} was already {approval.status}")
    return execute(services, decision_id)


def reject(services: Services, decision_id: int, *, actor: str, note: str | None = None) -> Verdict:
    now = services.now()
    with services.db.session() as session:
        approval = _locked(session, decision_id)
        if approval.status != "pending":
            raise ConsentError(f"decision {decision_id} was already {approval.status}")
        approval.status, approval.decided_by, approval.decided_at, approval.note = (
            "rejected",
            actor,
            now,
            note,
        )
        _record(session, approval, action="reject", reason="rejected_by_customer", actor=actor, note=note)
        if approval.recommendation_id is not None:
            session.get_one(Recommendation, approval.recommendation_id).local_status = "dismissed"
    return Verdict(decision_id, "rejected", note or "")


def execute(services: Services, decision_id: int) -> Verdict:
    """Send an approved action with its persisted Idempotency-Key; record the outcome as a decision."""
    with services.db.session() as session:
        approval = _locked(session, decision_id)
        if approval.status != "approved":
            return Verdict(decision_id, approval.status, "nothing to execute")
        method, path, body, key = approval.method, approval.path, approval.body, approval.idempotency_key
        shadow = session.get_one(Customer, approval.customer_id).mode == "shadow"
    if services.settings.kill_switch or shadow:
        why = "the kill switch is on" if services.settings.kill_switch else "the customer is in shadow mode"
        return Verdict(decision_id, "approved", f"approved, not executed: {why}")
    try:
        response = services.client.call_relative(method, path, body=body, idempotency_key=key)
    except TRANSIENT as exc:
        return Verdict(decision_id, "approved", f"Layers is busy ({type(exc).__name__}); will execute later")
    except (errors.LayersError, UnsafeActionPath) as exc:
        with services.db.session() as session:
            approval = _locked(session, decision_id)
            approval.status = "failed"
            approval.result = {"error": str(exc), "code": getattr(exc, "code", None)}
            _record(
                session, approval, action="error", reason="execution_failed", actor="agent", note=str(exc)
            )
        return Verdict(decision_id, "failed", str(exc))
    now = services.now()
    with services.db.session() as session:
        approval = _locked(session, decision_id)
        approval.status, approval.executed_at = "executed", now
        approval.result = {"response": response if isinstance(response, dict) else None}
        _record(
            session, approval, action="execute", reason="executed_after_approval", actor="agent", note=None
        )
        if approval.recommendation_id is not None:
            session.get_one(Recommendation, approval.recommendation_id).local_status = "acted_on"
    log.info("approved_action_executed", decision_id=decision_id, method=method, path=path)
    return Verdict(decision_id, "executed", f"{method} {path}")


def execute_approved(services: Services, *, customer_id: int | None = None) -> int:
    """Finish approved actions that were not executed yet (policy auto-approvals, crashes)."""
    with services.db.session() as session:
        query = select(Approval.decision_id).where(Approval.status == "approved")
        if customer_id is not None:
            query = query.where(Approval.customer_id == customer_id)
        pending = list(session.scalars(query))
    return sum(execute(services, decision_id).status == "executed" for decision_id in pending)


def _record(
    session: Session, approval: Approval, *, action: str, reason: str, actor: str, note: str | None
) -> None:
    proposal = session.get_one(Decision, approval.decision_id)
    record(
        session,
        NewDecision(
            customer_id=approval.customer_id,
            run_id=proposal.run_id,
            loop=proposal.loop,
            action=action,
            reason=reason,
            subject_type=proposal.subject_type,
            subject_id=proposal.subject_id,
            evidence={"method": approval.method, "path": approval.path, "note": note, "kind": approval.kind},
            actor=actor,
            parent_id=approval.decision_id,
            dedupe_key=f"approval:{approval.decision_id}:{action}",
        ),
    )
