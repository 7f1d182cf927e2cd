"""The publish/learn cycle's statuses and the plain records the store hands to its use cases (issue 15).

A completed clone has one *publication* per container it produced (its variations): the container waits for
the customer's review, is scheduled (with consent) to the customer's connected accounts, and its scheduled
posts are followed until they end. Each published clone later gets one verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from agent.domain.vocabulary import Reason


class PublicationStatus(StrEnum):
    AWAITING_REVIEW = "awaiting_review"  # the customer has not reviewed the container yet
    PENDING_SCHEDULE = "pending_schedule"  # approved; waiting for consent to schedule it
    READY = "ready"  # approved and consented: scheduled once an account and the restraints allow
    SCHEDULING = "scheduling"  # its Idempotency-Key, slot and targets are committed; not confirmed yet
    BLOCKED = "blocked"  # Layers stashed the schedule until the container is approved
    SCHEDULED = "scheduled"  # Layers queued its scheduled posts; they are followed to their end
    PUBLISHED = "published"  # at least one of its posts went live
    FAILED = "failed"  # none of its posts went live, or Layers refused the schedule for good
    REJECTED = "rejected"  # the customer rejected the container: never scheduled
    DECLINED = "declined"  # ops turned the schedule proposal down
    EXPIRED = "expired"  # nobody reviewed the container in time


PUBLICATION_ENDED = frozenset(
    {
        PublicationStatus.PUBLISHED,
        PublicationStatus.FAILED,
        PublicationStatus.REJECTED,
        PublicationStatus.DECLINED,
        PublicationStatus.EXPIRED,
    }
)
# Waiting on the customer's review at Layers: the approval backstop reads these at its cadence.
PUBLICATION_IN_REVIEW = frozenset({PublicationStatus.AWAITING_REVIEW, PublicationStatus.BLOCKED})


class PostStatus(StrEnum):
    """A scheduled post's status at Layers (contract §15.3); Gen-A `draft_in_inbox` reads as `draft`."""

    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELED = "canceled"
    DRAFT = "draft"


POST_ENDED = frozenset({PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.CANCELED, PostStatus.DRAFT})

# The verdicts a clone can get (the reasons of its `clone_outcome` decision).
VERDICTS = (Reason.WON, Reason.LOST, Reason.INCONCLUSIVE)

# The consent gate's kind for a schedule proposal. The gate records consent; the publishing use case
# schedules it (at the slot current when consent is given, which the proposal could not know).
SCHEDULE_CLONE_KIND = "schedule_clone"


@dataclass(frozen=True)
class Publication:
    """One container of a completed clone, on its way to publication."""

    id: int
    customer_id: int
    clone_id: int
    project_id: str
    container_id: str
    clone_container_id: str
    source_post_id: str
    status: PublicationStatus
    approval_status: str | None = None
    clone_decision_id: int | None = None
    proposal_id: int | None = None  # the pending_schedule decision (the consent gate's key)
    schedule_decision_id: int | None = None  # the decision that reserved the current schedule
    idempotency_key: str | None = None
    scheduled_for: datetime | None = None
    targets: tuple[str, ...] = ()
    attempts: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Reservation:
    """What a schedule is sent with, committed before the send: a fresh key, the slot and the accounts."""

    scheduled_for: datetime
    targets: tuple[str, ...]
    decision_id: int
    resend_at: datetime  # unanswered by then (a crash, a lost answer): sent again, same key and body


@dataclass(frozen=True)
class FollowedPost:
    """A scheduled post whose next poll is due, leased to this tick."""

    id: int
    scheduled_post_id: str
    publication_id: int
    customer_id: int
    container_id: str
    status: PostStatus
    scheduled_for: datetime | None
    parent_decision_id: int | None


@dataclass(frozen=True)
class PostChange:
    """A scheduled post's update as the store applied it, with what the publication now holds."""

    post: FollowedPost
    ended_now: bool  # this update is the one that ended the post (recorded once, whoever saw it first)
    publication_posts: tuple[PostStatus, ...]  # the new status of every post of its publication


@dataclass(frozen=True)
class PostState:
    """A scheduled post as Layers reported it (a poll, or a `post.*` webhook)."""

    scheduled_post_id: str
    status: PostStatus
    container_id: str | None = None
    social_account_id: str | None = None
    platform: str | None = None
    scheduled_for: datetime | None = None
    external_id: str | None = None
    external_url: str | None = None
    published_at: datetime | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class PublishedVariation:
    container_id: str
    published_at: datetime


@dataclass(frozen=True)
class VerdictDue:
    """A completed clone whose publications have all ended, with what its verdict is judged from."""

    clone_id: int
    customer_id: int
    project_id: str
    clone_container_id: str
    source_post_id: str
    clone_decision_id: int | None
    cloned_on: date | None
    published: tuple[PublishedVariation, ...]
    unpublished: tuple[str, ...] = ()  # how the other containers ended (rejected, failed, ...)


@dataclass(frozen=True)
class Baseline:
    """The parent post's engagement and the customer's median when the clone was decided."""

    parent_engagement_rate: float | None
    median_engagement_rate: float | None
