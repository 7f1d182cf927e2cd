"""Clone verdicts (issue 15): which clones are due one, what each was judged against, the verdicts kept (one
per clone: its primary key), and what the next days read back from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from agent.domain.evidence import PostVerdict, read_evidence
from agent.domain.learn_evidence import CloneVerdict, OutcomeSeen, ThresholdReview
from agent.domain.publishing import (
    PUBLICATION_ENDED,
    Baseline,
    PostStatus,
    PublicationStatus,
    PublishedVariation,
    VerdictDue,
)
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import LoopName, Reason
from agent.rules.backtest import RecordedDay
from agent.rules.learning import Learned
from agent.rules.thresholds import MAX_REMEMBERED_OUTCOMES
from agent.store.dialect import insert
from agent.store.models import (
    Clone,
    CloneOutcome,
    Customer,
    Decision,
    Publication,
    Run,
    RunInput,
    ScheduledPost,
)

LIVE_POSTS = (PostStatus.PUBLISHED, PostStatus.DRAFT)


def due(session: Session, *, published_before: datetime, limit: int) -> list[VerdictDue]:
    """Clones whose publications have all ended, not judged yet, whose first post went live before
    `published_before` (or that never went live)."""
    still_open = func.sum(case((Publication.status.not_in(PUBLICATION_ENDED), 1), else_=0))
    publications = (
        select(Publication.clone_id, still_open.label("open")).group_by(Publication.clone_id).subquery()
    )
    first_live = (
        select(Publication.clone_id, func.min(ScheduledPost.published_at).label("first"))
        .join(ScheduledPost, ScheduledPost.publication_id == Publication.id)
        .where(ScheduledPost.status.in_(LIVE_POSTS))
        .group_by(Publication.clone_id)
        .subquery()
    )
    rows = session.execute(
        select(Clone, Customer.layers_project_id, Run.local_date)
        .join(publications, publications.c.clone_id == Clone.id)
        .join(Customer, Customer.id == Clone.customer_id)
        .outerjoin(first_live, first_live.c.clone_id == Clone.id)
        .outerjoin(CloneOutcome, CloneOutcome.clone_id == Clone.id)
        .outerjoin(Run, Run.id == Clone.run_id)
        .where(
            publications.c.open == 0,
            CloneOutcome.clone_id.is_(None),
            (first_live.c.first.is_(None)) | (first_live.c.first <= published_before),
        )
        .order_by(Clone.id)
        .limit(limit)
    ).all()
    return [_due(session, clone, project, local) for clone, project, local in rows]


def _due(session: Session, clone: Clone, project_id: str, local: date | None) -> VerdictDue:
    published, unpublished = [], []
    for publication in session.scalars(select(Publication).where(Publication.clone_id == clone.id)):
        first = session.scalars(
            select(func.min(ScheduledPost.published_at)).where(
                ScheduledPost.publication_id == publication.id, ScheduledPost.status.in_(LIVE_POSTS)
            )
        ).one()
        if publication.status == PublicationStatus.PUBLISHED and first is not None:
            published.append(PublishedVariation(publication.container_id, first))
        else:
            unpublished.append(publication.status)
    return VerdictDue(
        clone_id=clone.id,
        customer_id=clone.customer_id,
        project_id=project_id,
        clone_container_id=clone.container_id,
        source_post_id=clone.source_post_id,
        clone_decision_id=clone.decision_id,
        cloned_on=local or clone.created_at.date(),
        published=tuple(published),
        unpublished=tuple(unpublished),
    )


def baseline(session: Session, *, clone_id: int) -> Baseline:
    """The parent's engagement and the median at cloning, as the clone decision's evidence recorded them."""
    clone = session.get_one(Clone, clone_id)
    decision = session.get(Decision, clone.decision_id) if clone.decision_id is not None else None
    if decision is not None:
        evidence = read_evidence(decision.reason, decision.subject_type, decision.evidence)
        if isinstance(evidence, PostVerdict):
            return Baseline(evidence.engagement_rate, evidence.median_engagement_rate)
    return Baseline(None, None)


def save(
    session: Session, *, clone_id: int, reason: Reason, verdict: CloneVerdict, decision_id: int, now: datetime
) -> bool:
    """Keep the clone's verdict; False when it already had one."""
    customer_id = session.get_one(Clone, clone_id).customer_id
    inserted = session.execute(
        insert(session, CloneOutcome)
        .values(
            clone_id=clone_id,
            customer_id=customer_id,
            source_post_id=verdict.source_post_id,
            verdict=reason,
            decision_id=decision_id,
            views=verdict.views,
            engagement_rate=verdict.engagement_rate,
            lift_vs_parent=verdict.lift_vs_parent,
            lift_vs_median=verdict.lift_vs_median,
            judged_at=now,
        )
        .on_conflict_do_nothing(index_elements=["clone_id"])
        .returning(CloneOutcome.clone_id)
    ).first()
    return inserted is not None


def _seen(outcome: CloneOutcome, clone: Clone, local: date | None) -> OutcomeSeen:
    return OutcomeSeen(
        clone_id=outcome.clone_id,
        container_id=clone.container_id,
        source_post_id=outcome.source_post_id,
        verdict=Reason(outcome.verdict),
        cloned_on=(local or clone.created_at.date()).isoformat(),
        engagement_rate=outcome.engagement_rate,
        lift_vs_median=outcome.lift_vs_median,
    )


def learned(session: Session, *, customer_id: int) -> Learned:
    """The customer's verdicts, newest clone first: per source and overall (each window bounded)."""
    newest = func.row_number().over(
        partition_by=CloneOutcome.source_post_id, order_by=CloneOutcome.clone_id.desc()
    )
    ranked = (
        select(CloneOutcome.clone_id, newest.label("n"))
        .where(CloneOutcome.customer_id == customer_id)
        .subquery()
    )
    rows = session.execute(
        select(CloneOutcome, Clone, Run.local_date)
        .join(ranked, ranked.c.clone_id == CloneOutcome.clone_id)
        .join(Clone, Clone.id == CloneOutcome.clone_id)
        .outerjoin(Run, Run.id == Clone.run_id)
        .where(ranked.c.n <= MAX_REMEMBERED_OUTCOMES)
        .order_by(CloneOutcome.clone_id.desc())
    ).all()
    seen = [_seen(outcome, clone, local) for outcome, clone, local in rows]
    by_source: dict[str, list[OutcomeSeen]] = {}
    for outcome in seen:
        by_source.setdefault(outcome.source_post_id, []).append(outcome)
    return Learned(
        outcomes={source: tuple(items) for source, items in by_source.items()},
        verdicts=tuple(seen[:MAX_REMEMBERED_OUTCOMES]),
        last_review_clone_id=_last_review(session, customer_id),
    )


def _last_review(session: Session, customer_id: int) -> int | None:
    decision = session.scalars(
        select(Decision)
        .where(Decision.customer_id == customer_id, Decision.reason == Reason.THRESHOLD_REVIEW)
        .order_by(Decision.id.desc())
        .limit(1)
    ).first()
    if decision is None:
        return None
    evidence = read_evidence(decision.reason, decision.subject_type, decision.evidence)
    return evidence.newest_clone_id if isinstance(evidence, ThresholdReview) else None


def recorded_days(session: Session, *, customer_id: int | None, since: date) -> list[RecordedDay]:
    """The recorded publish-to-learn days on or after `since` (a backtest's input), oldest first."""
    query = (
        select(RunInput)
        .where(RunInput.loop == LoopName.PUBLISH_TO_LEARN, RunInput.local_date >= since)
        .order_by(RunInput.customer_id, RunInput.local_date, RunInput.run_id)
    )
    if customer_id is not None:
        query = query.where(RunInput.customer_id == customer_id)
    return [
        RecordedDay(row.customer_id, row.local_date, row.run_id, PublishInput.from_json(row.record))
        for row in session.scalars(query)
    ]
