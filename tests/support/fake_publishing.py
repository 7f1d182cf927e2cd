"""In-memory fakes of the publish/learn cycle's ports (issue 15), mixed into `tests.support.fakes`: the store's
publications, scheduled posts and verdicts, and Layers' social accounts and scheduling.

They keep the semantics the use cases rely on: a publication moves only from the status its caller read, a
schedule sent twice under one Idempotency-Key is replayed (one set of posts), an ended post never changes,
and a clone has at most one verdict. PostgreSQL's own guarantees are proven by the integration tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from agent.domain import records
from agent.domain.evidence import PostVerdict
from agent.domain.learn_evidence import CloneVerdict, OutcomeSeen, ThresholdReview
from agent.domain.publishing import (
    POST_ENDED,
    PUBLICATION_ENDED,
    Baseline,
    FollowedPost,
    PostChange,
    PostState,
    PostStatus,
    Publication,
    PublicationStatus,
    PublishedVariation,
    Reservation,
    VerdictDue,
)
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import ApprovalStatus, CloneOrigin, JobStatus, LoopName, Reason, WorkKind
from agent.layers import errors
from agent.layers.publishing import ScheduledPost, ScheduleResult, ScheduleTarget, SocialAccount
from agent.rules.backtest import RecordedDay
from agent.rules.learning import Learned

DECIDED = frozenset({"approved", "rejected", "not_required"})


@dataclass
class FakePost:
    row: int
    publication_id: int
    scheduled_post_id: str
    status: PostStatus
    scheduled_for: datetime | None
    next_poll_at: datetime
    lease_until: datetime | None = None
    published_at: datetime | None = None


@dataclass
class LearnMemory:
    """What the fake store remembers of the publish/learn cycle."""

    publications: dict[int, Publication] = field(default_factory=dict)
    next_check: dict[int, datetime] = field(default_factory=dict)
    posts: dict[str, FakePost] = field(default_factory=dict)
    outcomes: dict[int, tuple[Reason, CloneVerdict]] = field(default_factory=dict)
    keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))


class PublishAndLearnMemory:
    """The Store methods of issue 15 over `self.m` (a `tests.support.fakes.Memory`)."""

    m: Any

    @property
    def _l(self) -> LearnMemory:
        learn: LearnMemory = self.m.learn
        return learn

    def _clone(self, clone_id: int) -> records.WorkItem:
        item: records.WorkItem = self.m.work[(WorkKind.CLONE, clone_id)]
        return item

    def _project(self, customer_id: int) -> str:
        return str(self.m.customers[customer_id].layers_project_id)

    def _refresh(self, pub: Publication) -> Publication:
        """The clone's review as a webhook or the job's end told it (the primary container only)."""
        told = self.m.clone_approval.get(pub.clone_id)
        if (
            pub.container_id == pub.clone_container_id
            and told in DECIDED
            and pub.approval_status not in DECIDED
        ):
            return replace(pub, approval_status=told)
        return pub

    def track_publications(self, *, now: datetime, limit: int, check_after_s: float) -> int:
        tracked = {pub.clone_id for pub in self._l.publications.values()}
        created = 0
        for job in self.m.jobs.values():
            if (
                job.kind is not WorkKind.CLONE
                or job.status is not JobStatus.COMPLETED
                or job.work_id in tracked
            ):
                continue
            clone = self._clone(job.work_id)
            if not isinstance(clone.spec, records.CloneSpec) or clone.spec.origin is CloneOrigin.PRIOR:
                continue
            result = job.end.result if job.end is not None else None
            listed = (result or {}).get("containerIds") or []
            for container_id in dict.fromkeys([clone.container_id, *listed]):
                known = self.m.clone_approval.get(clone.id) if container_id == clone.container_id else None
                pub_id = self.m.next_id()
                self._l.publications[pub_id] = Publication(
                    id=pub_id,
                    customer_id=clone.customer_id,
                    clone_id=clone.id,
                    project_id=self._project(clone.customer_id),
                    container_id=container_id,
                    clone_container_id=clone.container_id,
                    source_post_id=clone.spec.source_post_id,
                    status=PublicationStatus.AWAITING_REVIEW,
                    approval_status=known,
                    clone_decision_id=clone.decision_id,
                    created_at=now,
                )
                later = timedelta(seconds=check_after_s) if known == "pending" else timedelta(0)
                self._l.next_check[pub_id] = now + later
                created += 1
        return created

    def due_publications(
        self, *, statuses: Sequence[PublicationStatus], now: datetime, limit: int, lease_s: float
    ) -> list[Publication]:
        due = sorted(
            (
                pub
                for pub in self._l.publications.values()
                if pub.status in statuses and self._l.next_check[pub.id] <= now
            ),
            key=lambda pub: (self._l.next_check[pub.id], pub.id),
        )[:limit]
        for pub in due:
            self._l.next_check[pub.id] = now + timedelta(seconds=lease_s)
        return [self._refresh(pub) for pub in due]

    def lock_publication(self, *, publication_id: int, status: PublicationStatus) -> Publication | None:
        pub = self._l.publications.get(publication_id)
        return self._refresh(pub) if pub is not None and pub.status is status else None

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
        pub = self._l.publications[publication_id]
        changes: dict[str, Any] = {"status": status}
        if approval_status is not None and pub.approval_status not in ("approved", "rejected"):
            changes["approval_status"] = approval_status
        if proposal_id is not None:
            changes["proposal_id"] = proposal_id
        self._l.publications[publication_id] = replace(pub, **changes)
        self._l.next_check[publication_id] = next_check_at or now

    def reserve_schedule(self, *, publication_id: int, reservation: Reservation, now: datetime) -> None:
        pub = self._l.publications[publication_id]
        self._l.publications[publication_id] = replace(
            pub,
            status=PublicationStatus.SCHEDULING,
            idempotency_key=f"schedule_key_{next(self._l.keys)}",
            scheduled_for=reservation.scheduled_for,
            targets=reservation.targets,
            schedule_decision_id=reservation.decision_id,
            attempts=pub.attempts + 1,
        )
        self._l.next_check[publication_id] = reservation.resend_at

    def proposal(self, *, decision_id: int) -> tuple[ApprovalStatus, str | None] | None:
        approval = self.m.approvals.get(decision_id)
        return (approval.record.status, approval.decided_by) if approval is not None else None

    def wake_publication(self, *, container_id: str, approval_status: str, now: datetime) -> bool:
        for pub in self._l.publications.values():
            if pub.container_id == container_id:
                if pub.approval_status not in ("approved", "rejected"):
                    self._l.publications[pub.id] = replace(pub, approval_status=approval_status)
                self._l.next_check[pub.id] = now
                return True
        return False

    def follow_posts(
        self, *, publication_id: int, posts: Sequence[PostState], now: datetime, first_poll_at: datetime
    ) -> int:
        added = 0
        for post in posts:
            if post.scheduled_post_id not in self._l.posts:
                self._l.posts[post.scheduled_post_id] = FakePost(
                    self.m.next_id(),
                    publication_id,
                    post.scheduled_post_id,
                    post.status,
                    post.scheduled_for,
                    first_poll_at,
                )
                added += 1
        return added

    def _followed(self, post: FakePost) -> FollowedPost:
        pub = self._l.publications[post.publication_id]
        return FollowedPost(
            post.row,
            post.scheduled_post_id,
            post.publication_id,
            pub.customer_id,
            pub.container_id,
            post.status,
            post.scheduled_for,
            pub.schedule_decision_id,
        )

    def claim_due_posts(self, *, now: datetime, limit: int, lease_s: float) -> list[FollowedPost]:
        due = [
            post
            for post in self._l.posts.values()
            if post.status not in POST_ENDED
            and post.next_poll_at <= now
            and (post.lease_until is None or post.lease_until < now)
        ][:limit]
        for post in due:
            post.lease_until = now + timedelta(seconds=lease_s)
        return [self._followed(post) for post in due]

    def update_post(self, *, state: PostState, now: datetime, next_poll_at: datetime) -> PostChange | None:
        post = self._l.posts.get(state.scheduled_post_id)
        if post is None:
            return None
        ended_now = post.status not in POST_ENDED and state.status in POST_ENDED
        if post.status not in POST_ENDED:
            post.status, post.next_poll_at, post.lease_until = state.status, next_poll_at, None
            if ended_now and state.status is PostStatus.PUBLISHED:
                post.published_at = state.published_at or now
        statuses = tuple(p.status for p in self._l.posts.values() if p.publication_id == post.publication_id)
        return PostChange(self._followed(post), ended_now, statuses)

    def due_verdicts(self, *, published_before: datetime, limit: int) -> list[VerdictDue]:
        by_clone: dict[int, list[Publication]] = {}
        for pub in self._l.publications.values():
            by_clone.setdefault(pub.clone_id, []).append(pub)
        due = []
        for clone_id, pubs in sorted(by_clone.items()):
            if clone_id in self._l.outcomes or any(p.status not in PUBLICATION_ENDED for p in pubs):
                continue
            published = []
            for pub in pubs:
                live = [
                    p.published_at
                    for p in self._l.posts.values()
                    if p.publication_id == pub.id and p.published_at
                ]
                if pub.status is PublicationStatus.PUBLISHED and live:
                    published.append(PublishedVariation(pub.container_id, min(live)))
            if published and min(v.published_at for v in published) > published_before:
                continue
            clone = self._clone(clone_id)
            run = self.m.runs.get(clone.run_id) if clone.run_id is not None else None
            due.append(
                VerdictDue(
                    clone_id=clone_id,
                    customer_id=clone.customer_id,
                    project_id=self._project(clone.customer_id),
                    clone_container_id=clone.container_id,
                    source_post_id=pubs[0].source_post_id,
                    clone_decision_id=clone.decision_id,
                    cloned_on=run.record.local_date if run is not None else None,
                    published=tuple(published),
                    unpublished=tuple(p.status for p in pubs if p.status is not PublicationStatus.PUBLISHED),
                )
            )
        return due[:limit]

    def clone_baseline(self, *, clone_id: int) -> Baseline:
        decision_id = self._clone(clone_id).decision_id
        decision = self.m.decisions.get(decision_id) if decision_id is not None else None
        if decision is not None and isinstance(decision.evidence, PostVerdict):
            return Baseline(decision.evidence.engagement_rate, decision.evidence.median_engagement_rate)
        return Baseline(None, None)

    def save_outcome(
        self, *, clone_id: int, reason: Reason, verdict: CloneVerdict, decision_id: int, now: datetime
    ) -> bool:
        if clone_id in self._l.outcomes:
            return False
        self._l.outcomes[clone_id] = (reason, verdict)
        return True

    def learned(self, *, customer_id: int) -> Learned:
        seen = []
        for clone_id in sorted(self._l.outcomes, reverse=True):
            clone = self._clone(clone_id)
            if clone.customer_id != customer_id:
                continue
            reason, verdict = self._l.outcomes[clone_id]
            run = self.m.runs.get(clone.run_id) if clone.run_id is not None else None
            seen.append(
                OutcomeSeen(
                    clone_id=clone_id,
                    container_id=clone.container_id,
                    source_post_id=verdict.source_post_id,
                    verdict=reason,
                    cloned_on=run.record.local_date.isoformat() if run is not None else None,
                    engagement_rate=verdict.engagement_rate,
                    lift_vs_median=verdict.lift_vs_median,
                )
            )
        by_source: dict[str, list[OutcomeSeen]] = {}
        for outcome in seen:
            by_source.setdefault(outcome.source_post_id, []).append(outcome)
        reviews = [
            d.evidence
            for d in self.m.decisions.values()
            if d.customer_id == customer_id and d.reason is Reason.THRESHOLD_REVIEW
        ]
        last = reviews[-1].newest_clone_id if reviews and isinstance(reviews[-1], ThresholdReview) else None
        return Learned({s: tuple(o) for s, o in by_source.items()}, tuple(seen), last)

    def recorded_days(self, *, customer_id: int | None, since: date) -> list[RecordedDay]:
        days = []
        for run_id, record in self.m.run_inputs.items():
            run = self.m.runs[run_id].record
            if (
                isinstance(record, PublishInput)
                and run.loop is LoopName.PUBLISH_TO_LEARN
                and run.local_date >= since
                and customer_id in (None, run.customer_id)
            ):
                days.append(RecordedDay(run.customer_id, run.local_date, run_id, record))
        return sorted(days, key=lambda d: (d.customer_id, d.local_date, d.run_id))


# ---- Layers ----------------------------------------------------------------------------------------


@dataclass
class FakeScheduling:
    """What the fake Layers knows of accounts and scheduling; `answers` overrides the next answers."""

    accounts: dict[str, list[SocialAccount]] = field(default_factory=dict)
    posts: dict[str, ScheduledPost] = field(default_factory=dict)
    by_key: dict[str, ScheduleResult] = field(default_factory=dict)
    sent: list[tuple[str, str | None]] = field(default_factory=list)  # (container, key) of applied schedules
    answers: list[ScheduleResult | errors.LayersError] = field(default_factory=list)
    metrics: dict[str, tuple[int, float]] = field(default_factory=dict)  # platform post id -> views, rate
    lose_answers: int = 0  # schedules applied whose answer then never arrives (a timeout)

    def connect(self, project_id: str, *accounts: tuple[str, str]) -> None:
        """Accounts as (id, status), e.g. ("sa_1", "connected"), ("sa_2", "reauth_required")."""
        self.accounts[project_id] = [
            SocialAccount(social_account_id=sa, platform="tiktok", status=status) for sa, status in accounts
        ]


class FakePublishingLayers:
    """The LayersApi methods of issue 15 (mixed into `tests.support.fakes.FakeLayers`)."""

    def _call(self, name: str) -> None:  # provided by FakeLayers
        raise NotImplementedError

    @cached_property
    def scheduling(self) -> FakeScheduling:
        return FakeScheduling()

    def iter_social_accounts(self, project_id: str, *, status: Any = None) -> Iterator[SocialAccount]:
        self._call("social_accounts")
        return iter(self.scheduling.accounts.get(project_id, []))

    def schedule_content(
        self,
        container_id: str,
        *,
        scheduled_for: datetime,
        targets: Sequence[ScheduleTarget],
        idempotency_key: str | None,
    ) -> ScheduleResult:
        self._call("schedule")
        fake = self.scheduling
        if idempotency_key is not None and idempotency_key in fake.by_key:
            return fake.by_key[idempotency_key]  # a replay: the first answer, nothing created again
        if fake.answers:
            answer = fake.answers.pop(0)
            if isinstance(answer, errors.LayersError):
                raise answer
            result = answer
        else:
            ids = [f"sp_{container_id}_{t.social_account_id}" for t in targets]
            result = ScheduleResult(scheduled_post_ids=ids, gate_status="queued", scheduled_for=scheduled_for)
        for sp, target in zip(result.scheduled_post_ids, targets, strict=False):
            fake.posts[sp] = ScheduledPost(
                id=sp,
                container_id=container_id,
                social_account_id=target.social_account_id,
                status="queued",
                scheduled_for=scheduled_for,
            )
        fake.sent.append((container_id, idempotency_key))
        if idempotency_key is not None:
            fake.by_key[idempotency_key] = result
        if fake.lose_answers:
            fake.lose_answers -= 1
            raise errors.LayersTimeout("the answer never arrived")
        return result

    def get_scheduled_post(self, scheduled_post_id: str) -> ScheduledPost:
        self._call("get_scheduled_post")
        if scheduled_post_id not in self.scheduling.posts:
            raise errors.NotFound("Scheduled post not found.", status=404)
        return self.scheduling.posts[scheduled_post_id]

    def iter_scheduled_posts(
        self, project_id: str, *, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[ScheduledPost]:
        self._call("scheduled_posts")
        return iter(list(self.scheduling.posts.values()))

    def set_post(self, scheduled_post_id: str, status: str, **fields: Any) -> None:
        """Layers moves a scheduled post (published, failed, ...)."""
        post = self.scheduling.posts[scheduled_post_id]
        self.scheduling.posts[scheduled_post_id] = post.model_copy(update={"status": status, **fields})
