"""Our own tracking of Layers' recommendations (Layers has no acknowledge endpoint): one row per
(customer, kind, subject), so a recommendation handled once is never acted on again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import RecommendationStatus
from agent.rules.recommendations import RecommendationInput
from agent.store.models import Recommendation


def tracked(session: Session, *, customer_id: int) -> dict[tuple[str, str], RecommendationStatus]:
    rows = session.execute(
        select(Recommendation.kind, Recommendation.subject_id, Recommendation.local_status).where(
            Recommendation.customer_id == customer_id
        )
    ).tuples()
    return {(kind, subject): RecommendationStatus(status) for kind, subject, status in rows}


def track(session: Session, *, customer_id: int, item: RecommendationInput) -> int:
    """The tracking row of this (kind, subject), created open when first seen; returns its id."""
    view = item.view
    row = session.scalars(
        select(Recommendation).where(
            Recommendation.customer_id == customer_id,
            Recommendation.kind == view.kind,
            Recommendation.subject_id == view.subject_id,
        )
    ).one_or_none()
    if row is None:
        row = Recommendation(
            customer_id=customer_id,
            recommendation_id=view.recommendation_id,
            kind=view.kind,
            subject_id=view.subject_id,
            confidence=view.confidence,
            local_status=RecommendationStatus.OPEN,
            payload={
                "label": item.label,
                "body": item.suggested_body,
                "endpoint": view.suggested_endpoint,
                "rationale": item.rationale,  # for the people who approve a proposal (issue 13)
                "evidence": item.evidence,
            },
        )
        session.add(row)
        session.flush()
    return row.id


def set_status(
    session: Session, *, row_id: int, status: RecommendationStatus, decision_id: int | None = None
) -> None:
    row = session.get_one(Recommendation, row_id)
    row.local_status = status
    if decision_id is not None:
        row.decision_id = decision_id
