"""Typed evidence of the publish/learn cycle (issue 15): a clone's container on its way to publication, its
scheduled posts, its verdict, what the next day learned from verdicts, and posts whose numbers are impossible.

`agent.domain.evidence` maps each reason here to its class, so reading a recorded decision back works the
same way for every kind of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.domain.evidence_base import Evidence
from agent.domain.vocabulary import Reason, Restraint


@dataclass(frozen=True)
class AccountSeen(Evidence):
    """One of the customer's social accounts as Layers listed it when the schedule was planned."""

    social_account_id: str
    platform: str | None
    status: str | None
    handle: str | None = None


@dataclass(frozen=True)
class PublicationStep(Evidence):
    """One step of a clone's container on its way to publication: reviewed, proposed, scheduled, refused."""

    container_id: str
    clone_container_id: str
    source_post_id: str
    approval_status: str | None = None
    scheduled_for: str | None = None
    targets: tuple[str, ...] = ()
    accounts: tuple[AccountSeen, ...] = ()
    gate_status: str | None = None
    scheduled_post_ids: tuple[str, ...] = ()
    consented_by: str | None = None
    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    restraint: Restraint | None = None


@dataclass(frozen=True)
class PostStep(Evidence):
    """A scheduled post's end at Layers (published, failed or canceled), as a poll or a webhook told it."""

    scheduled_post_id: str
    container_id: str
    status: str
    platform: str | None = None
    social_account_id: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    published_at: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    seen_by: str = "poll"


@dataclass(frozen=True)
class VariationResult(Evidence):
    """One published variation of a clone: its post and its numbers over the judged window."""

    container_id: str
    platform_post_id: str | None
    views: int
    engagement_rate: float


@dataclass(frozen=True)
class CloneVerdict(Evidence):
    """Whether a clone paid off: its published variations' numbers over a settled window, against its parent
    post and against the customer's median when it was cloned."""

    source_post_id: str
    views: int | None
    engagement_rate: float | None
    parent_engagement_rate: float | None
    median_engagement_rate: float | None
    lift_vs_parent: float | None
    lift_vs_median: float | None
    min_views: int
    win_multiple: float
    window_since: str | None = None
    window_until: str | None = None
    settle_delay_hours: float | None = None
    variations: tuple[VariationResult, ...] = ()
    note: str | None = None  # why an inconclusive verdict could not be decided


@dataclass(frozen=True)
class OutcomeSeen(Evidence):
    """A clone's verdict as the next days read it (newest first): the input of `clones_underperform`."""

    clone_id: int
    container_id: str
    source_post_id: str
    verdict: Reason
    cloned_on: str | None = None
    engagement_rate: float | None = None
    lift_vs_median: float | None = None


@dataclass(frozen=True)
class RawRow(Evidence):
    """A top-performers row exactly as far as JSON can hold it (a non-finite number is named in `problems`)."""

    rank: int | None
    views: float | None
    engagement_rate: float | None


@dataclass(frozen=True)
class InvalidMetrics(Evidence):
    """A post that was not judged because Layers' numbers for it are impossible, with the raw values."""

    post_id: str
    problems: tuple[str, ...]
    rows: tuple[RawRow, ...] = ()


@dataclass(frozen=True)
class CandidateReplay(Evidence):
    """A stricter threshold replayed over the recorded days: what it would have changed."""

    changes: dict[str, int | float]
    clones_added: int
    clones_removed: int
    removed_lost: int = 0
    removed_won: int = 0


@dataclass(frozen=True)
class ThresholdReview(Evidence):
    """The customer's clone hit rate fell below the bar: a review is proposed, with the backtest as evidence.
    The agent never changes a threshold on its own."""

    hit_rate: float
    won: int
    lost: int
    window: int
    min_hit_rate: float
    newest_clone_id: int
    days_replayed: int = 0
    candidates: tuple[CandidateReplay, ...] = ()
    thresholds: dict[str, int | float] = field(default_factory=dict)
