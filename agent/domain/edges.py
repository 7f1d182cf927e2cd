"""The names of what crosses the agent's edges: Layers' webhook events and its container reviews, what the
inbox did with an event, and the notifications the agent sends. The vocabulary module re-exports them,
so every status still has one import path and one definition.
"""

from __future__ import annotations

from enum import StrEnum

# ---- webhook ingestion (issue 11) ------------------------------------------------------------------


class ReviewStatus(StrEnum):
    """A Layers container's `approvalStatus` (contract §9.1), independent of its generation status."""

    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# A reviewed container stays reviewed (approved -> rejected is unsupported, a rejection is permanent), so a
# stale read or a late event never takes a clone back to `pending`.
REVIEW_FINAL = frozenset({ReviewStatus.APPROVED, ReviewStatus.REJECTED})


class EventType(StrEnum):
    """The webhook event catalog (contract §23.1): the only names an endpoint can subscribe to."""

    JOB_COMPLETED = "job.completed"
    JOB_FAILED = "job.failed"
    JOB_CANCELED = "job.canceled"
    CONTENT_GENERATED = "content.generated"
    CONTENT_APPROVED = "content.approved"
    CONTENT_REJECTED = "content.rejected"
    POST_SCHEDULED = "post.scheduled"
    POST_PUBLISHED = "post.published"
    POST_FAILED = "post.failed"
    POST_CANCELED = "post.canceled"
    SOCIAL_ACCOUNT_CONNECTED = "social_account.connected"
    SOCIAL_ACCOUNT_NEEDS_REAUTH = "social_account.needs_reauth"
    SOCIAL_ACCOUNT_REVOKED = "social_account.revoked"
    LEASE_REQUEST_ASSIGNED = "lease_request.assigned"
    LEASE_REQUEST_REJECTED = "lease_request.rejected"
    TEST_PING = "test.ping"


class InboxOutcome(StrEnum):
    """What processing did with a stored webhook event (`webhook_events.outcome`)."""

    HANDLED = "handled"  # its handler recorded what it says
    ALREADY_DONE = "already_done"  # what it says was already recorded (a replay, or the poller was first)
    NOT_OURS = "not_ours"  # a job or container the agent does not follow
    NO_HANDLER = "no_handler"  # a catalog type nothing handles yet: kept for later issues
    UNKNOWN_TYPE = "unknown_type"  # not in the catalog: stored and acknowledged, never acted on
    FAILED = "failed"  # its handler kept failing; the poller remains the backstop


# ---- notifications (issue 14) ----------------------------------------------------------------------


class NotifyEvent(StrEnum):
    """What the agent tells people about (`notifications.event`); routes pick channels by these names."""

    PROPOSAL_WAITING = "proposal_waiting"  # a proposal waits for consent
    SPEND_WITHOUT_CONVERSIONS = "spend_without_conversions"  # an ad spent without converting
    RUN_FAILED = "run_failed"  # a run stopped on a permanent failure
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  # a run failed too many times and was given up
    HEALTH_SIGNAL = "health_signal"  # a health signal crossed its threshold
    HEALTH_CLEARED = "health_cleared"  # an open health signal cleared
    JOB_FAILURE_SPIKE = "job_failure_spike"  # the job_failures signal opened: a spike of failed jobs
    DAY_LATE = "day_late"  # at the quota's pace, a timezone's last run of today ends after its midnight


class NotificationStatus(StrEnum):
    """Where one notification row (one event for one channel) stands."""

    PENDING = "pending"  # not sent yet (or sent and not marked: the only window for a repeat)
    SENT = "sent"  # marked sent: never sent again
    GIVEN_UP = "given_up"  # the channel kept failing (or is no longer configured)
