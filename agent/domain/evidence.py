"""Typed evidence, one class per kind of decision, and the one JSON codec that stores and reads it.

The decision table keeps evidence as JSON; these classes are its schema. `evidence_type` says which class a
recorded decision's evidence is (from its reason, else its subject), so `explain`, the web pages and the
tests read fields by name instead of sniffing keys. Reading is tolerant of rows written before a field
existed: a missing field takes its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.domain.codec import CodecError
from agent.domain.evidence_base import Evidence as Evidence  # the base, importable from here as before
from agent.domain.evidence_base import Json as Json
from agent.domain.learn_evidence import (
    CloneVerdict,
    InvalidMetrics,
    OutcomeSeen,
    PostStep,
    PublicationStep,
    ThresholdReview,
)
from agent.domain.vocabulary import Action, Reason, Restraint, Stage, SubjectType

EvidenceError = CodecError


@dataclass(frozen=True)
class NoEvidence(Evidence):
    """A decision whose reason says it all (a paused customer)."""


@dataclass(frozen=True)
class PostThresholds(Evidence):
    """The thresholds a post was judged against."""

    breakout_multiple: float
    min_engagement: float
    min_views: int
    max_clones_per_source: int


@dataclass(frozen=True)
class PostVerdict(Evidence):
    """Why one post was (or was not) cloned: its numbers against the customer's median."""

    title: str | None
    rank: int | None
    engagement_rate: float
    median_engagement_rate: float
    ratio_to_median: float | None
    views: int
    thresholds: PostThresholds
    clone_count: int
    clone_number: int | None
    container_id: str | None = None
    clone_slot: int | None = None
    restraint: Restraint | None = None
    # publish and learn (issue 15): the source's latest verdicts, when they are why it was not cloned
    recent_outcomes: tuple[OutcomeSeen, ...] = ()


@dataclass(frozen=True)
class StageTopRow(Evidence):
    platform_post_id: str | None
    title: str | None
    metric: str
    value: float | None


@dataclass(frozen=True)
class PublishSummary(Evidence):
    """A publish-to-learn run as a whole: what it saw, the median, and what it decided."""

    posts_seen: int
    posts_eligible: int
    thresholds: dict[str, int | float]
    median_engagement_rate: float | None = None
    breakout_post_ids: tuple[str, ...] = ()
    outcome_counts: dict[str, int] = field(default_factory=dict)
    reason_counts: dict[str, int] = field(default_factory=dict)
    stage: Stage | None = None
    stage_metric: str | None = None
    top: tuple[StageTopRow, ...] = ()
    restraint: Restraint | None = None


@dataclass(frozen=True)
class SpendFlag(Evidence):
    spend: float
    impressions: float | None
    conversions: float
    window_since: str
    window_until: str
    threshold: float
    ads_content_id: str | None = None


@dataclass(frozen=True)
class PoolCheck(Evidence):
    eligible_count: int
    min_eligible_pool: int
    hook_source_post_id: str | None
    last_commission_at: str | None
    commission_cooldown_days: int
    hook: str | None = None
    container_id: str | None = None
    restraint: Restraint | None = None


@dataclass(frozen=True)
class CrossCheck(Evidence):
    """Live ads metrics of a refresh's subject, read just before acting on it."""

    action: Action
    reason: Reason
    ads: int
    spend: float
    conversions: float
    roas: float | None
    breakeven_roas: float
    # publish and learn (issue 15): the fatigue signal, this window against the one before it
    impressions: float | None = None
    cpa: float | None = None
    previous_ads: int | None = None
    previous_impressions: float | None = None
    previous_cpa: float | None = None
    cpa_rising: bool | None = None
    impressions_hold: bool | None = None


@dataclass(frozen=True)
class Triage(Evidence):
    """A recommendation's numbers against the act and surface levels, and what acting on it did."""

    confidence: float
    act_confidence: float
    surface_confidence: float
    subject_type: str
    subject_id: str
    suggested_endpoint: str | None
    suggested_method: str | None
    recommendation_id: str | None = None
    refusal: str | None = None
    cross_check: CrossCheck | None = None
    source_post_id: str | None = None
    container_id: str | None = None
    clone_slot: int | None = None
    restraint: Restraint | None = None


@dataclass(frozen=True)
class CreativeWeek(Evidence):
    creative_type: str
    creative_id: str
    ad_ids: tuple[str, ...]
    spend: float
    impressions: float | None
    conversions: float
    cpa: float | None
    roas: float | None


@dataclass(frozen=True)
class PerformerRow(Evidence):
    platform_post_id: str | None
    title: str | None
    metric_value: float | None


@dataclass(frozen=True)
class WeeklyReview(Evidence):
    window_since: str
    window_until: str
    totals: CreativeWeek
    creatives: tuple[CreativeWeek, ...] = ()
    drivers: tuple[CreativeWeek, ...] = ()
    top_performers: tuple[PerformerRow, ...] = ()
    settle_delay_hours: float | None = None  # the window ended this long before the review (issue 15)


@dataclass(frozen=True)
class Failure(Evidence):
    """What went wrong talking to Layers: its code and request id, or the field it broke."""

    message: str | None = None
    code: str | None = None
    status: int | None = None
    request_id: str | None = None
    endpoint: str | None = None
    field: str | None = None
    source_post_id: str | None = None


@dataclass(frozen=True)
class GaveUp(Evidence):
    attempts: int
    last_error: str | None = None


@dataclass(frozen=True)
class ConsentStep(Evidence):
    """One step of a proposal's life: approved, rejected, executed, refused or failed."""

    method: str
    path: str
    kind: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ContentReview(Evidence):
    """The customer's review of a clone's container at Layers, as its webhook event told it (issue 11)."""

    container_id: str
    approval_status: str
    event_id: str
    reviewed_at: str | None = None
    reviewed_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FieldChange(Evidence):
    """One setting of a customer, before and after (the ops experience, issue 13)."""

    field: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class ConfigurationChange(Evidence):
    """A person's change to a customer's configuration: every field it changed (issue 13)."""

    changes: tuple[FieldChange, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class JobOutcome(Evidence):
    """How a followed Layers job ended, as the poll that saw it said (a poller that never abandons a job,
    issue 11): timed out by a poll after its deadline, or reconciled later from Layers' own answer."""

    job_id: str
    kind: str
    status: str
    deadline_at: str
    polled_at: str
    previous_status: str | None = None  # reconciled: what had been recorded before (timed_out)
    duration_s: float | None = None
    error_code: str | None = None
    error_message: str | None = None


# A reason that always carries the same evidence, whatever its subject.
_BY_REASON: dict[Reason, type[Evidence]] = {
    Reason.WEEKLY_REVIEW: WeeklyReview,
    Reason.ATTEMPTS_EXHAUSTED: GaveUp,
    Reason.CUSTOMER_PAUSED: NoEvidence,
    Reason.MALFORMED_RESPONSE: Failure,
    Reason.LAYERS_KILL_SWITCH: Failure,
    Reason.LAYERS_ACCESS_DENIED: Failure,
    Reason.LAYERS_NOT_FOUND: Failure,
    Reason.LAYERS_REJECTED: Failure,
    Reason.CLONE_REJECTED: Failure,
    Reason.COMMISSION_REJECTED: Failure,
    Reason.APPROVED_BY_CUSTOMER: ConsentStep,
    Reason.REJECTED_BY_CUSTOMER: ConsentStep,
    Reason.EXECUTED_AFTER_APPROVAL: ConsentStep,
    Reason.EXECUTION_FAILED: ConsentStep,
    Reason.UNSAFE_APPROVED_ACTION: ConsentStep,
    Reason.CONTENT_APPROVED: ContentReview,
    Reason.CONTENT_REJECTED: ContentReview,
    # publish and learn (issue 15)
    Reason.WON: CloneVerdict,
    Reason.LOST: CloneVerdict,
    Reason.INCONCLUSIVE: CloneVerdict,
    Reason.THRESHOLD_REVIEW: ThresholdReview,
    Reason.INVALID_METRICS: InvalidMetrics,
    # the ops experience (issue 13)
    Reason.CUSTOMER_ADDED: ConfigurationChange,
    Reason.SETTINGS_CHANGED: ConfigurationChange,
    Reason.CUSTOMER_RENAMED: ConfigurationChange,
    Reason.SCHEDULE_PAUSED: ConfigurationChange,
    Reason.SCHEDULE_RESUMED: ConfigurationChange,
    Reason.CUSTOMER_REMOVED: ConfigurationChange,
    # a poller that never abandons a job (issue 11)
    Reason.JOB_TIMED_OUT: JobOutcome,
    Reason.JOB_RECONCILED: JobOutcome,
}
# Otherwise the subject decides: a post's verdict, a run's summary, an ad's flag, ...
_BY_SUBJECT: dict[SubjectType, type[Evidence]] = {
    SubjectType.PLATFORM_POST: PostVerdict,
    SubjectType.CUSTOMER: PublishSummary,
    SubjectType.AD: SpendFlag,
    SubjectType.CREATIVE_POOL: PoolCheck,
    SubjectType.RECOMMENDATION: Triage,
    SubjectType.RUN: Failure,
    SubjectType.CLONE: Failure,
    SubjectType.COMMISSION: Failure,
    SubjectType.JOB: Failure,
    SubjectType.CONTAINER: PublicationStep,  # publish and learn (issue 15)
    SubjectType.SCHEDULED_POST: PostStep,
}


def evidence_type(reason: Reason, subject_type: SubjectType) -> type[Evidence]:
    """The evidence class of a decision with this reason about this kind of subject."""
    return _BY_REASON.get(reason) or _BY_SUBJECT[subject_type]


def read_evidence(reason: str, subject_type: str | None, data: Mapping[str, Any] | None) -> Evidence:
    """A stored decision's evidence, typed."""
    cls = evidence_type(Reason(reason), SubjectType(subject_type or SubjectType.RUN))
    return cls.from_json(data or {})
