"""Every status, action and reason the agent knows, once. The store's CHECK constraints, the rules, the
loops and the ops views are all derived from these enums, so a new value is added in one place.
"""

from __future__ import annotations

from enum import StrEnum

from agent.domain.edges import REVIEW_FINAL as REVIEW_FINAL
from agent.domain.edges import EventType as EventType
from agent.domain.edges import InboxOutcome as InboxOutcome
from agent.domain.edges import NotificationStatus as NotificationStatus
from agent.domain.edges import NotifyEvent as NotifyEvent
from agent.domain.edges import ReviewStatus as ReviewStatus


class LoopName(StrEnum):
    PUBLISH_TO_LEARN = "publish_to_learn"
    OPTIMIZATION = "optimization"
    WEEKLY_REVIEW = "weekly_review"

    @property
    def label(self) -> str:
        """How people type it: `publish-to-learn`."""
        return self.value.replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> LoopName:
        """`publish-to-learn` or `publish_to_learn`; ValueError naming the choices otherwise."""
        try:
            return cls(text.strip().replace("-", "_"))
        except ValueError:
            raise ValueError(
                f"unknown loop {text!r}; expected one of {', '.join(loop.label for loop in cls)}"
            ) from None


class RunStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


RUN_ENDED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED})
RUN_CLAIMABLE = frozenset({RunStatus.PENDING, RunStatus.QUEUED})


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    DEMO = "demo"


class CustomerMode(StrEnum):
    ACTIVE = "active"
    SHADOW = "shadow"


class Stage(StrEnum):
    EARLY = "early"
    GROWTH = "growth"
    MATURE = "mature"


class WorkKind(StrEnum):
    """Work the agent submits to Layers that runs as a job: a clone or a commissioned generation."""

    CLONE = "clone"
    COMMISSION = "commission"


class WorkStatus(StrEnum):
    PENDING = "pending"  # ids minted and committed, not sent yet
    SUBMITTED = "submitted"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"


# Work that exists (or may exist) at Layers: it counts toward a source's clone cap and a commission's
# cooldown. Failed and canceled work produced nothing, and a failed clone gives its slot back.
LIVE_WORK = frozenset(
    {WorkStatus.PENDING, WorkStatus.SUBMITTED, WorkStatus.RUNNING, WorkStatus.COMPLETED, WorkStatus.TIMED_OUT}
)
DEAD_WORK = frozenset({WorkStatus.FAILED, WorkStatus.CANCELED})


class CloneOrigin(StrEnum):
    BREAKOUT = "breakout"
    RECOMMENDATION = "recommendation"
    PRIOR = "prior"  # made before the agent was installed


class JobStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"


JOB_TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})


class RecommendationStatus(StrEnum):
    """Our own tracking of a Layers recommendation (Layers has no acknowledge endpoint)."""

    OPEN = "open"
    ACTED_ON = "acted_on"
    PENDING_APPROVAL = "pending_approval"
    SURFACED = "surfaced"
    DISMISSED = "dismissed"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    FAILED = "failed"
    REFUSED = "refused"  # approved, but its method or path is one the agent never sends


APPROVAL_WAITING = frozenset({ApprovalStatus.PENDING, ApprovalStatus.APPROVED})


class Restraint(StrEnum):
    """Why the agent decides and records but sends nothing that changes anything at Layers."""

    SHADOW_MODE = "shadow_mode"
    KILL_SWITCH = "kill_switch"


class SubjectType(StrEnum):
    PLATFORM_POST = "platform_post"
    CUSTOMER = "customer"
    RUN = "run"
    AD = "ad"
    CREATIVE_POOL = "creative_pool"
    RECOMMENDATION = "recommendation"
    CLONE = "clone"
    COMMISSION = "commission"
    JOB = "job"
    # publish and learn (issue 15): a clone's container on its way to publication, and its posts
    CONTAINER = "container"
    SCHEDULED_POST = "scheduled_post"


class Action(StrEnum):
    CLONE = "clone"
    SKIP = "skip"
    SUMMARY = "summary"
    FLAG = "flag"
    NONE = "none"
    COMMISSION = "commission"
    ACT = "act"
    SURFACE = "surface"
    REFUSE = "refuse"
    PENDING_APPROVAL = "pending_approval"
    PROCEED = "proceed"  # only inside a cross-check's evidence
    SHADOW_CLONE = "shadow_clone"
    SHADOW_COMMISSION = "shadow_commission"
    SHADOW_ACT = "shadow_act"
    ERROR = "error"
    APPROVE = "approve"
    REJECT = "reject"
    EXECUTE = "execute"
    # publish and learn (issue 15)
    SCHEDULE = "schedule"
    PENDING_SCHEDULE = "pending_schedule"  # waits for consent (the customer's policy does not auto-schedule)
    SHADOW_SCHEDULE = "shadow_schedule"
    OBSERVE = "observe"  # a fact seen at Layers: a post published, a stash promoted, a review expired
    CLONE_OUTCOME = "clone_outcome"
    # the ops experience (issue 13): a person changed a customer's configuration
    CONFIGURE = "configure"


# What a mutating action becomes in shadow mode: recorded as what the agent would have done.
SHADOW_OF = {
    Action.CLONE: Action.SHADOW_CLONE,
    Action.COMMISSION: Action.SHADOW_COMMISSION,
    Action.ACT: Action.SHADOW_ACT,
    Action.SCHEDULE: Action.SHADOW_SCHEDULE,  # publish and learn (issue 15)
}


class Reason(StrEnum):
    # publish-to-learn
    NO_PERFORMANCE_DATA = "no_performance_data"
    INSUFFICIENT_DATA = "insufficient_data"
    BREAKOUT = "breakout"
    CLONE_CAP_REACHED = "clone_cap_reached"
    RUN_BUDGET_EXHAUSTED = "run_budget_exhausted"
    BELOW_NOISE_FLOOR = "below_noise_floor"
    BELOW_ENGAGEMENT_FLOOR = "below_engagement_floor"
    NOT_BREAKOUT = "not_breakout"
    EXCLUDED_BY_OVERRIDE = "excluded_by_override"
    DAILY_SUMMARY = "daily_summary"
    # restraint and pause
    KILL_SWITCH = "kill_switch"
    CUSTOMER_PAUSED = "customer_paused"
    # optimization
    SPEND_WITHOUT_CONVERSIONS = "spend_without_conversions"
    POOL_HEALTHY = "pool_healthy"
    COMMISSION_COOLDOWN = "commission_cooldown"
    NO_HOOK_SOURCE = "no_hook_source"
    THIN_CREATIVE_POOL = "thin_creative_pool"
    UNSAFE_SUGGESTED_ACTION = "unsafe_suggested_action"
    UNKNOWN_KIND = "unknown_kind"
    REFRESH_FATIGUED = "refresh_fatigued"
    CHANGES_BRAND_CONFIGURATION = "changes_brand_configuration"
    AUTO_APPROVED_BY_POLICY = "auto_approved_by_policy"
    MODERATE_CONFIDENCE = "moderate_confidence"
    LOW_CONFIDENCE = "low_confidence"
    ADS_METRICS_DISAGREE = "ads_metrics_disagree"
    NO_SOURCE_POST = "no_source_post"
    # the refresh cross-check's verdicts
    NO_PAID_DATA = "no_paid_data"
    NO_CONVERSIONS = "no_conversions"
    ROAS_BELOW_BREAKEVEN = "roas_below_breakeven"
    # weekly review
    WEEKLY_REVIEW = "weekly_review"
    # failures
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    MALFORMED_RESPONSE = "malformed_response"
    LAYERS_KILL_SWITCH = "layers_kill_switch"
    LAYERS_ACCESS_DENIED = "layers_access_denied"
    LAYERS_NOT_FOUND = "layers_not_found"
    LAYERS_REJECTED = "layers_rejected"
    CLONE_REJECTED = "clone_rejected"
    COMMISSION_REJECTED = "commission_rejected"
    EXECUTION_FAILED = "execution_failed"
    # consent
    APPROVED_BY_CUSTOMER = "approved_by_customer"
    REJECTED_BY_CUSTOMER = "rejected_by_customer"
    EXECUTED_AFTER_APPROVAL = "executed_after_approval"
    UNSAFE_APPROVED_ACTION = "unsafe_approved_action"  # approved, then refused: the agent never sends it
    # webhook ingestion (issue 11): the customer reviewed a clone at Layers
    CONTENT_APPROVED = "content_approved"
    CONTENT_REJECTED = "content_rejected"
    # publish and learn (issue 15): approved clones go live
    CLONE_APPROVED = "clone_approved"
    SCHEDULE_NEEDS_CONSENT = "schedule_needs_consent"
    NO_CONNECTED_ACCOUNT = "no_connected_account"
    ACCOUNT_NEEDS_REAUTH = "account_needs_reauth"
    POST_SCHEDULED = "post_scheduled"
    SCHEDULE_BLOCKED_ON_APPROVAL = "schedule_blocked_on_approval"
    SCHEDULE_PROMOTED = "schedule_promoted"
    PROMOTION_FAILED = "promotion_failed"
    APPROVAL_REQUIRED = "approval_required"
    SCHEDULE_REJECTED = "schedule_rejected"
    POST_PUBLISHED = "post_published"
    POST_FAILED = "post_failed"
    POST_CANCELED = "post_canceled"
    REVIEW_EXPIRED = "review_expired"
    # publish and learn (issue 15): every clone gets a verdict, and what is learned shapes the next day
    WON = "won"
    LOST = "lost"
    INCONCLUSIVE = "inconclusive"
    CLONES_UNDERPERFORM = "clones_underperform"
    THRESHOLD_REVIEW = "threshold_review"
    INVALID_METRICS = "invalid_metrics"
    # publish and learn (issue 15): the refresh cross-check confirms fatigue, never vetoes on a healthy ROAS
    ADS_NOT_RUNNING = "ads_not_running"
    FATIGUE_CONFIRMED = "fatigue_confirmed"
    ADS_RUNNING = "ads_running"
    # the ops experience (issue 13): every change to a customer's configuration, with who made it
    CUSTOMER_ADDED = "customer_added"
    SETTINGS_CHANGED = "settings_changed"
    CUSTOMER_RENAMED = "customer_renamed"
    SCHEDULE_PAUSED = "schedule_paused"
    SCHEDULE_RESUMED = "schedule_resumed"
    CUSTOMER_REMOVED = "customer_removed"
    # a poller that never abandons a job (issue 11): a poll after the deadline still saw it running; Layers
    # later told how a timed-out job really ended
    JOB_TIMED_OUT = "job_timed_out"
    JOB_RECONCILED = "job_reconciled"


REJECTED_WORK_REASON = {
    WorkKind.CLONE: Reason.CLONE_REJECTED,
    WorkKind.COMMISSION: Reason.COMMISSION_REJECTED,
}


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The enum's values in declaration order (for CHECK constraints and help texts)."""
    return tuple(member.value for member in enum)


# ---- the ops experience (issue 13) -------------------------------------------------------------------

# A change to a customer's configuration is no loop's decision: the decision table records it under this
# `loop` value, next to the loops' own.
CONFIGURATION = "configuration"
DECISION_LOOPS = (*values(LoopName), CONFIGURATION)
CONFIGURATION_REASONS = frozenset(
    {
        Reason.CUSTOMER_ADDED,
        Reason.SETTINGS_CHANGED,
        Reason.CUSTOMER_RENAMED,
        Reason.SCHEDULE_PAUSED,
        Reason.SCHEDULE_RESUMED,
        Reason.CUSTOMER_REMOVED,
    }
)


class AttemptOutcome(StrEnum):
    """How one attempt at a run ended (`run_attempts.outcome`): `agent runs` keeps every attempt's error."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEFERRED = "deferred"  # a transient failure: the run went back to the queue
    ABANDONED = "abandoned"  # its worker died: the lease lapsed and another attempt took the run


class Tick(StrEnum):
    """A periodic task beat sends; each leaves a heartbeat when it ran to the end (`heartbeats.name`)."""

    DISPATCH = "dispatch"
    SWEEP = "sweep"
