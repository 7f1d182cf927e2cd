"""The publish/learn cycle's part of the Store port on a session (issue 15): one call per method to the
aggregate module that owns the SQL (`publications`, `scheduled_posts`, `verdicts`). `SqlStore` inherits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from agent.domain.learn_evidence import CloneVerdict
from agent.domain.publishing import (
    Baseline,
    FollowedPost,
    PostChange,
    PostState,
    Publication,
    PublicationStatus,
    Reservation,
    VerdictDue,
)
from agent.domain.vocabulary import ApprovalStatus, Reason
from agent.rules.backtest import RecordedDay
from agent.rules.learning import Learned
from agent.store import publications, scheduled_posts, verdicts


class PublishAndLearn:
    session: Session

    def learned(self, *, customer_id: int) -> Learned:
        return verdicts.learned(self.session, customer_id=customer_id)

    def recorded_days(self, *, customer_id: int | None, since: date) -> list[RecordedDay]:
        return verdicts.recorded_days(self.session, customer_id=customer_id, since=since)

    def track_publications(self, *, now: datetime, limit: int, check_after_s: float) -> int:
        return publications.track(self.session, now=now, limit=limit, check_after_s=check_after_s)

    def due_publications(
        self, *, statuses: Sequence[PublicationStatus], now: datetime, limit: int, lease_s: float
    ) -> list[Publication]:
        return publications.claim_due(self.session, statuses=statuses, now=now, limit=limit, lease_s=lease_s)

    def lock_publication(self, *, publication_id: int, status: PublicationStatus) -> Publication | None:
        return publications.lock(self.session, publication_id=publication_id, status=status)

    def move_publication(
        self,
        *,
        publication_id: int,
        status: PublicationStatus,
        now: datetime,
        next_check_at: datetime | None = None,
        approval_status: str | None = None,
        proposal_id: int | None = None,
    ) -> None:
        publications.move(
            self.session,
            publication_id=publication_id,
            status=status,
            now=now,
            next_check_at=next_check_at,
            approval_status=approval_status,
            proposal_id=proposal_id,
        )

    def reserve_schedule(self, *, publication_id: int, reservation: Reservation, now: datetime) -> None:
        publications.reserve(self.session, publication_id=publication_id, reservation=reservation, now=now)

    def proposal(self, *, decision_id: int) -> tuple[ApprovalStatus, str | None] | None:
        return publications.proposal(self.session, decision_id=decision_id)

    def wake_publication(self, *, container_id: str, approval_status: str, now: datetime) -> bool:
        return publications.wake(
            self.session, container_id=container_id, approval_status=approval_status, now=now
        )

    def follow_posts(
        self, *, publication_id: int, posts: Sequence[PostState], now: datetime, first_poll_at: datetime
    ) -> int:
        return scheduled_posts.follow(
            self.session, publication_id=publication_id, posts=posts, now=now, first_poll_at=first_poll_at
        )

    def claim_due_posts(self, *, now: datetime, limit: int, lease_s: float) -> list[FollowedPost]:
        return scheduled_posts.claim_due(self.session, now=now, limit=limit, lease_s=lease_s)

    def update_post(self, *, state: PostState, now: datetime, next_poll_at: datetime) -> PostChange | None:
        return scheduled_posts.update(self.session, state=state, now=now, next_poll_at=next_poll_at)

    def due_verdicts(self, *, published_before: datetime, limit: int) -> list[VerdictDue]:
        return verdicts.due(self.session, published_before=published_before, limit=limit)

    def clone_baseline(self, *, clone_id: int) -> Baseline:
        return verdicts.baseline(self.session, clone_id=clone_id)

    def save_outcome(
        self, *, clone_id: int, reason: Reason, verdict: CloneVerdict, decision_id: int, now: datetime
    ) -> bool:
        return verdicts.save(
            self.session, clone_id=clone_id, reason=reason, verdict=verdict, decision_id=decision_id, now=now
        )
