"""What became of the decisions a table shows (their clone, commission or proposal), and the titles of
their subjects, in a few queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import SubjectType
from agent.store.models import Approval, Clone, Commission, Decision, Recommendation


@dataclass(frozen=True)
class Work:
    """The clone or commission a decision started."""

    kind: str
    status: str
    approval_status: str | None = None  # a clone's review at Layers


@dataclass(frozen=True)
class Outcomes:
    work: dict[int, Work] = field(default_factory=dict)  # by decision id
    approvals: dict[int, str] = field(default_factory=dict)  # proposal decision id -> approval status
    labels: dict[str, str] = field(default_factory=dict)  # a recommendation's subject id -> kind: label


def of(session: Session, decisions: Sequence[Decision]) -> Outcomes:
    ids = [d.id for d in decisions]
    if not ids:
        return Outcomes()
    work: dict[int, Work] = {}
    clones = select(Clone.decision_id, Clone.status, Clone.approval_status).where(Clone.decision_id.in_(ids))
    for decision_id, status, approval in session.execute(clones).tuples():
        if decision_id is not None:
            work[decision_id] = Work("clone", status, approval)
    commissions = select(Commission.decision_id, Commission.status).where(Commission.decision_id.in_(ids))
    for decision_id, status in session.execute(commissions).tuples():
        if decision_id is not None:
            work[decision_id] = Work("commission", status)
    proposals = select(Approval.decision_id, Approval.status).where(Approval.decision_id.in_(ids))
    approvals = dict(session.execute(proposals).tuples().all())
    subjects = {
        d.subject_id for d in decisions if d.subject_type == SubjectType.RECOMMENDATION and d.subject_id
    }
    labels: dict[str, str] = {}
    if subjects:
        rows = select(Recommendation.subject_id, Recommendation.kind, Recommendation.payload).where(
            Recommendation.subject_id.in_(subjects),
            Recommendation.customer_id.in_({d.customer_id for d in decisions}),
        )
        for subject_id, kind, payload in session.execute(rows.order_by(Recommendation.id)).tuples():
            label = (payload or {}).get("label")
            labels.setdefault(subject_id, f"{kind}: {label}" if label else kind)
    return Outcomes(work, approvals, labels)
