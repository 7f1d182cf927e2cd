"""Each source's clone lineage for ops (issue 15): its clones, their review, schedule, publication and verdict,
and each customer's clone hit rate. Read-only; a few grouped queries for a whole page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.vocabulary import CloneOrigin, Reason
from agent.rules.learning import DECISIVE
from agent.store.models import Clone, CloneOutcome, Customer, Publication, Run, ScheduledPost


@dataclass(frozen=True)
class PublicationLine:
    container_id: str
    status: str
    approval_status: str | None
    scheduled_for: datetime | None
    posts: tuple[str, ...]  # each scheduled post's status


@dataclass(frozen=True)
class CloneLine:
    clone_id: int
    customer: str
    source_post_id: str
    container_id: str
    status: str
    approval_status: str | None
    cloned_on: date  # the local date of the run that made it
    publications: tuple[PublicationLine, ...]
    verdict: str | None
    lift_vs_median: float | None


@dataclass(frozen=True)
class HitRate:
    customer: str
    won: int
    lost: int
    inconclusive: int
    window: int

    @property
    def rate(self) -> float | None:
        return self.won / (self.won + self.lost) if self.won + self.lost else None


def clones(session: Session, *, customer_id: int | None = None, source: str | None = None) -> list[CloneLine]:
    """The agent's clones (not the ones made before it), by customer, source and age."""
    query = (
        select(Clone, Customer.name, CloneOutcome, Run.local_date)
        .join(Customer, Customer.id == Clone.customer_id)
        .outerjoin(CloneOutcome, CloneOutcome.clone_id == Clone.id)
        .outerjoin(Run, Run.id == Clone.run_id)
        .where(Clone.origin != CloneOrigin.PRIOR)
        .order_by(Customer.name, Clone.source_post_id, Clone.id)
    )
    if customer_id is not None:
        query = query.where(Clone.customer_id == customer_id)
    if source is not None:
        query = query.where(Clone.source_post_id == source)
    rows = session.execute(query).all()
    ids = [clone.id for clone, _, _, _ in rows]
    publications: dict[int, list[PublicationLine]] = {}
    if ids:
        posts: dict[int, list[str]] = {}
        for publication_id, status in session.execute(
            select(ScheduledPost.publication_id, ScheduledPost.status)
            .join(Publication, Publication.id == ScheduledPost.publication_id)
            .where(Publication.clone_id.in_(ids))
            .order_by(ScheduledPost.id)
        ).tuples():
            posts.setdefault(publication_id, []).append(status)
        for pub in session.scalars(
            select(Publication).where(Publication.clone_id.in_(ids)).order_by(Publication.id)
        ):
            publications.setdefault(pub.clone_id, []).append(
                PublicationLine(
                    pub.container_id,
                    pub.status,
                    pub.approval_status,
                    pub.scheduled_for,
                    tuple(posts.get(pub.id, ())),
                )
            )
    return [
        CloneLine(
            clone_id=clone.id,
            customer=name,
            source_post_id=clone.source_post_id,
            container_id=clone.container_id,
            status=clone.status,
            approval_status=clone.approval_status,
            cloned_on=local or clone.created_at.date(),
            publications=tuple(publications.get(clone.id, ())),
            verdict=outcome.verdict if outcome is not None else None,
            lift_vs_median=outcome.lift_vs_median if outcome is not None else None,
        )
        for clone, name, outcome, local in rows
    ]


def hit_rates(session: Session, *, window: int, customer_id: int | None = None) -> list[HitRate]:
    """Per customer: won and lost among its last `window` decisive verdicts, and its inconclusive ones."""
    query = (
        select(Customer.name, CloneOutcome.verdict)
        .join(Customer, Customer.id == CloneOutcome.customer_id)
        .order_by(Customer.name, CloneOutcome.clone_id.desc())
    )
    if customer_id is not None:
        query = query.where(CloneOutcome.customer_id == customer_id)
    found: dict[str, list[str]] = {}
    for name, verdict in session.execute(query).tuples():
        found.setdefault(name, []).append(verdict)
    rates = []
    for name, verdicts in found.items():
        last = [v for v in verdicts if Reason(v) in DECISIVE][:window]
        rates.append(
            HitRate(
                name,
                last.count(Reason.WON),
                last.count(Reason.LOST),
                verdicts.count(Reason.INCONCLUSIVE),
                window,
            )
        )
    return rates
