"""Builders for the rows the agent writes, for tests that seed a story: decisions with typed evidence, runs,
clones and their jobs, proposals and the consent steps that follow them.

Each builder goes through the store function the loops use where there is one, and produces only what the
loops would write: vocabulary enums, and evidence of the type `evidence_type` expects for the decision's
reason and subject (checked, so a story cannot seed a row the agent could never have recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.decisions import ConsentRequest, NewDecision, Subject
from agent.domain.evidence import (
    ConsentStep,
    Evidence,
    PostThresholds,
    PostVerdict,
    PublishSummary,
    SpendFlag,
    Triage,
    evidence_type,
)
from agent.domain.records import JobEnd, NewClone, Submission, WorkItem
from agent.domain.vocabulary import (
    Action,
    ApprovalStatus,
    CloneOrigin,
    LoopName,
    Reason,
    Stage,
    SubjectType,
    WorkKind,
    WorkStatus,
)
from agent.rules.publish import stage_metric
from agent.rules.thresholds import Thresholds
from agent.store import approvals, clones, decisions, jobs, work
from agent.store.models import Approval, Decision, Job

DEFAULTS = Thresholds()

# ---- evidence ---------------------------------------------------------------------------------------


def post_verdict(
    *,
    title: str,
    engagement: float,
    median: float,
    views: int,
    clone_count: int,
    cloned: bool = False,
    rank: int = 1,
    thresholds: Thresholds = DEFAULTS,
) -> PostVerdict:
    """A post judged against the customer's median; `cloned` gives it the next clone number."""
    return PostVerdict(
        title=title,
        rank=rank,
        engagement_rate=engagement,
        median_engagement_rate=median,
        ratio_to_median=engagement / median,
        views=views,
        thresholds=PostThresholds(
            breakout_multiple=thresholds.breakout_multiple,
            min_engagement=thresholds.min_engagement,
            min_views=thresholds.min_views,
            max_clones_per_source=thresholds.max_clones_per_source,
        ),
        clone_count=clone_count,
        clone_number=clone_count + 1 if cloned else None,
    )


def summary(
    *,
    posts_seen: int,
    posts_eligible: int,
    skipped: Reason | None = None,
    median: float | None = None,
    stage: Stage = Stage.EARLY,
    thresholds: Thresholds = DEFAULTS,
) -> PublishSummary:
    """A publish-to-learn run's summary; `skipped` is why the run judged no post at all."""
    return PublishSummary(
        posts_seen=posts_seen,
        posts_eligible=posts_eligible,
        thresholds=dict(thresholds.as_dict()),
        median_engagement_rate=median,
        outcome_counts={str(Action.SKIP): 1} if skipped else {},
        reason_counts={str(skipped): 1} if skipped else {},
        stage=stage,
        stage_metric=stage_metric(stage),
    )


def spend_flag(
    *,
    spend: float,
    impressions: float | None,
    window_until: datetime,
    days: int = 7,
    conversions: float = 0.0,
    ads_content_id: str | None = None,
    thresholds: Thresholds = DEFAULTS,
) -> SpendFlag:
    """An ad that spent over the threshold in the `days` before `window_until` without converting."""
    return SpendFlag(
        spend=spend,
        impressions=impressions,
        conversions=conversions,
        window_since=(window_until - timedelta(days=days)).isoformat(),
        window_until=window_until.isoformat(),
        threshold=thresholds.spend_without_conversions_min,
        ads_content_id=ads_content_id,
    )


def triage(
    *,
    recommendation_id: str,
    confidence: float,
    method: str,
    endpoint: str,
    subject_id: str,
    subject_type: str = "project",
    thresholds: Thresholds = DEFAULTS,
) -> Triage:
    """A recommendation's confidence against the act and surface levels, with its suggested action."""
    return Triage(
        confidence=confidence,
        act_confidence=thresholds.recommendation_act_confidence,
        surface_confidence=thresholds.recommendation_surface_confidence,
        subject_type=subject_type,
        subject_id=subject_id,
        suggested_endpoint=endpoint,
        suggested_method=method,
        recommendation_id=recommendation_id,
    )


# ---- decisions --------------------------------------------------------------------------------------


def decision(
    session: Session,
    *,
    customer_id: int,
    loop: LoopName,
    action: Action,
    reason: Reason,
    subject: Subject,
    evidence: Evidence,
    run_id: int | None = None,
    rule_version: str | None = None,
    actor: str = "agent",
    parent_id: int | None = None,
    dedupe_key: str | None = None,
    created_at: datetime | None = None,
) -> int:
    """Record one decision; returns its id. One from an earlier day (`created_at`) is inserted as a row,
    since `record` stamps the server's now()."""
    expected = evidence_type(reason, subject.type)
    if type(evidence) is not expected:
        raise TypeError(
            f"{reason} about a {subject.type} carries {expected.__name__}, not {type(evidence).__name__}"
        )
    common: dict[str, Any] = dict(
        customer_id=customer_id,
        loop=loop,
        action=action,
        reason=reason,
        run_id=run_id,
        rule_version=rule_version,
        actor=actor,
        parent_id=parent_id,
        dedupe_key=dedupe_key,
    )
    if created_at is None:
        return decisions.record(session, NewDecision(subject=subject, evidence=evidence, **common))
    row = Decision(
        created_at=created_at,
        subject_type=subject.type,
        subject_id=subject.id,
        evidence=evidence.to_json(),
        **common,
    )
    session.add(row)
    session.flush()
    return row.id


# ---- clones and their jobs --------------------------------------------------------------------------


def reserve_clone(
    session: Session,
    *,
    customer_id: int,
    source_post_id: str,
    run_id: int | None = None,
    loop: LoopName = LoopName.PUBLISH_TO_LEARN,
    origin: CloneOrigin = CloneOrigin.BREAKOUT,
    status: WorkStatus = WorkStatus.PENDING,
) -> WorkItem:
    """A clone holding its source's lowest free slot, its ids minted (fails when no slot is left)."""
    new = NewClone(customer_id, run_id, loop, source_post_id, origin, mode="fork", variations=2)
    item = clones.reserve(session, new=new, status=status)
    if item is None:
        raise AssertionError(f"{source_post_id} has no free clone slot")
    return item


def prior_clones(session: Session, *, customer_id: int, source_post_id: str, count: int = 1) -> None:
    """Clones made before the agent was installed: completed, and counting toward the cap."""
    new = NewClone(customer_id, None, LoopName.PUBLISH_TO_LEARN, source_post_id, CloneOrigin.PRIOR, "fork", 2)
    for _ in range(count):
        clones.reserve(session, new=new, status=WorkStatus.COMPLETED)


@dataclass(frozen=True)
class Cloned:
    decision_id: int
    clone: WorkItem


def cloned(
    session: Session,
    *,
    customer_id: int,
    source_post_id: str,
    verdict: PostVerdict,
    run_id: int | None,
    rule_version: str,
    dedupe_key: str,
) -> Cloned:
    """A breakout cloned the way the loop records it: a slot reserved, then the decision naming the clone's
    container and slot, linked back to it."""
    clone = reserve_clone(session, customer_id=customer_id, source_post_id=source_post_id, run_id=run_id)
    slot = getattr(clone.spec, "slot", None)
    decision_id = decision(
        session,
        customer_id=customer_id,
        loop=LoopName.PUBLISH_TO_LEARN,
        action=Action.CLONE,
        reason=Reason.BREAKOUT,
        subject=Subject(SubjectType.PLATFORM_POST, source_post_id),
        evidence=replace(verdict, container_id=clone.container_id, clone_slot=slot),
        run_id=run_id,
        rule_version=rule_version,
        dedupe_key=dedupe_key,
    )
    work.link_decision(session, kind=WorkKind.CLONE, work_id=clone.id, decision_id=decision_id)
    return Cloned(decision_id, clone)


def job(
    session: Session, item: WorkItem, *, job_id: str, submitted_at: datetime, end: JobEnd | None = None
) -> int:
    """The work accepted by Layers as `job_id`, and how the job ended (recorded on the job and its work
    together, as the poller does); returns the job's row id."""
    submission = Submission(job_id=job_id, now=submitted_at, first_poll_s=10.0, timeout_s=600.0)
    work.mark_submitted(session, kind=item.kind, work_id=item.id, submission=submission)
    row_id = session.scalars(select(Job.id).where(Job.job_id == job_id)).one()
    if end is not None:
        jobs.finish(session, job_row_id=row_id, end=end)
    return row_id


# ---- consent ----------------------------------------------------------------------------------------

_STEPS = {
    ApprovalStatus.APPROVED: (Action.APPROVE, Reason.APPROVED_BY_CUSTOMER),
    ApprovalStatus.REJECTED: (Action.REJECT, Reason.REJECTED_BY_CUSTOMER),
    ApprovalStatus.EXECUTED: (Action.EXECUTE, Reason.EXECUTED_AFTER_APPROVAL),
}


def propose(
    session: Session,
    *,
    decision_id: int,
    kind: str,
    method: str,
    path: str,
    now: datetime,
    body: dict[str, Any] | None = None,
    auto_approved: bool = False,
) -> None:
    """The proposal a decision waits on: pending, or approved by policy for an auto-approved kind."""
    request = ConsentRequest(kind=kind, method=method, path=path, body=body, auto_approved=auto_approved)
    approvals.propose(session, decision_id=decision_id, request=request, recommendation_row_id=None, now=now)


def approve(session: Session, *, decision_id: int, by: str, at: datetime, note: str | None = None) -> int:
    """Approved by `by` at `at`; returns the follow-up decision that records it (so do the others)."""
    status = ApprovalStatus.APPROVED
    approvals.decide(session, decision_id=decision_id, status=status, actor=by, now=at, note=note)
    return _step(session, decision_id, status, by, at, note)


def reject(session: Session, *, decision_id: int, by: str, at: datetime, note: str | None = None) -> int:
    status = ApprovalStatus.REJECTED
    approvals.decide(session, decision_id=decision_id, status=status, actor=by, now=at, note=note)
    return _step(session, decision_id, status, by, at, note)


def execute(session: Session, *, decision_id: int, at: datetime, response: dict[str, Any]) -> int:
    status, result = ApprovalStatus.EXECUTED, {"response": response}
    approvals.settle(session, decision_id=decision_id, status=status, now=at, result=result)
    return _step(session, decision_id, status, "agent", at, None)


def _step(
    session: Session, parent_id: int, status: ApprovalStatus, actor: str, at: datetime, note: str | None
) -> int:
    """A step of a proposal's life as `agent.loops.consent` records it, stamped `at`."""
    parent, approval = session.get_one(Decision, parent_id), session.get_one(Approval, parent_id)
    action, reason = _STEPS[status]
    return decision(
        session,
        customer_id=parent.customer_id,
        loop=LoopName(parent.loop),
        action=action,
        reason=reason,
        subject=decisions.subject_of(parent),
        evidence=ConsentStep(method=approval.method, path=approval.path, kind=approval.kind, note=note),
        run_id=parent.run_id,
        actor=actor,
        parent_id=parent_id,
        dedupe_key=f"approval:{parent_id}:{action}",
        created_at=at,
    )
