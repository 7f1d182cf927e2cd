"""What the publish/learn cycle records about one publication: its decisions (outside any run, linked into
the clone's lineage), the customer's review once per container, and the consent gate's row once a
consented schedule was carried out or could not be.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from agent.config import Settings
from agent.domain.decisions import ConsentRequest, Decided, FollowUp, NewDecision, Subject
from agent.domain.evidence import ConsentStep, ContentReview, Evidence, Failure
from agent.domain.learn_evidence import PublicationStep
from agent.domain.publishing import Publication, PublicationStatus
from agent.domain.records import CustomerRecord
from agent.domain.vocabulary import Action, ApprovalStatus, LoopName, Reason, ReviewStatus, SubjectType
from agent.layers import errors
from agent.loops.notifications import notify_decision
from agent.loops.ports import Deps, Store
from agent.rules.publishing import iso


def record_review(store: Store, pub: Publication, status: str, *, by: str, note: str | None) -> None:
    """The customer's review, once per container whichever path saw it first (the webhook or a read)."""
    if pub.container_id == pub.clone_container_id:
        store.set_clone_approval(clone_id=pub.clone_id, approval_status=status)
    if pub.clone_decision_id is None:
        return
    approved = status == ReviewStatus.APPROVED
    store.record_follow_up(
        FollowUp(
            parent_id=pub.clone_decision_id,
            action=Action.APPROVE if approved else Action.REJECT,
            reason=Reason.CONTENT_APPROVED if approved else Reason.CONTENT_REJECTED,
            evidence=ContentReview(
                container_id=pub.container_id, approval_status=status, event_id=f"({by})", reason=note
            ),
            actor="layers",
            dedupe_key=f"content-review:{pub.container_id}",
        )
    )


def record(store: Store, pub: Publication, decided: Decided, *, parent: int | None) -> int:
    """A decision of the publish/learn cycle: not part of a run, linked into the clone's lineage."""
    return store.record_decision(
        NewDecision(
            customer_id=pub.customer_id,
            loop=LoopName.PUBLISH_TO_LEARN,
            action=decided.action,
            reason=decided.reason,
            subject=decided.subject,
            evidence=decided.evidence,
            parent_id=parent,
            dedupe_key=decided.key,
        )
    )


def propose(
    store: Store,
    pub: Publication,
    proposal: Decided,
    *,
    customer: CustomerRecord,
    settings: Settings,
    now: datetime,
) -> int:
    """A schedule that needs consent: the decision, its row at the consent gate, and the notice that a
    proposal waits (all in the caller's transaction, so none of them exists without the others)."""
    decision_id = record(store, pub, proposal, parent=pub.clone_decision_id)
    if isinstance(proposal.effect, ConsentRequest):
        store.propose(decision_id=decision_id, request=proposal.effect, recommendation_row_id=None, now=now)
    notify_decision(
        store,
        settings=settings,
        customer=customer,
        decision_id=decision_id,
        action=proposal.action,
        reason=proposal.reason,
        now=now,
    )
    return decision_id


def evidence(pub: Publication, **fields: Any) -> PublicationStep:
    base = PublicationStep(
        container_id=pub.container_id,
        clone_container_id=pub.clone_container_id,
        source_post_id=pub.source_post_id,
        approval_status=pub.approval_status,
        scheduled_for=iso(pub.scheduled_for) if pub.scheduled_for else None,
    )
    return replace(base, **fields)


def follow(
    store: Store, pub: Publication, action: Action, reason: Reason, evidence: Evidence, key: str
) -> int:
    """A later fact about the publication, under its schedule decision (else its proposal, else its clone)."""
    decided = Decided(
        action=action,
        reason=reason,
        subject=Subject(SubjectType.CONTAINER, pub.container_id),
        evidence=evidence,
        key=f"publication:{pub.id}:{key}",
    )
    parent = pub.schedule_decision_id or pub.proposal_id or pub.clone_decision_id
    return record(store, pub, decided, parent=parent)


def end(
    deps: Deps, pub: Publication, status: PublicationStatus, action: Action, reason: Reason, key: str
) -> None:
    with deps.store() as store:
        locked = store.lock_publication(publication_id=pub.id, status=pub.status)
        if locked is None:
            return
        follow(store, locked, action, reason, evidence(locked), key)
        store.move_publication(publication_id=pub.id, status=status, now=deps.now())


def gone(deps: Deps, pub: Publication, exc: errors.LayersError) -> None:
    """Layers no longer knows the container: the publication ends, and says why."""
    with deps.store() as store:
        locked = store.lock_publication(publication_id=pub.id, status=pub.status)
        if locked is None:
            return
        failure = Failure(message=str(exc), code=exc.code, status=exc.status, request_id=exc.request_id)
        follow(store, locked, Action.ERROR, Reason.LAYERS_NOT_FOUND, failure, "gone")
        store.move_publication(publication_id=pub.id, status=PublicationStatus.FAILED, now=deps.now())


def settle_proposal(
    store: Store, pub: Publication, status: ApprovalStatus, result: dict[str, Any], now: datetime
) -> None:
    """A consented schedule was carried out (or could not be): the consent gate's row says so, once."""
    if pub.proposal_id is None:
        return
    approval = store.lock_approval(decision_id=pub.proposal_id)
    if approval is None or approval.status is not ApprovalStatus.APPROVED:
        return
    store.settle_approval(decision_id=pub.proposal_id, status=status, now=now, result=result)
    executed = status is ApprovalStatus.EXECUTED
    action = Action.EXECUTE if executed else Action.ERROR
    store.record_follow_up(
        FollowUp(
            parent_id=pub.proposal_id,
            action=action,
            reason=Reason.EXECUTED_AFTER_APPROVAL if executed else Reason.EXECUTION_FAILED,
            evidence=ConsentStep(method=approval.method, path=approval.path, kind=approval.kind),
            actor="agent",
            dedupe_key=f"approval:{pub.proposal_id}:{action}",
        )
    )
