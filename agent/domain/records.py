"""Plain, frozen records the store hands to the loops: no ORM object ever leaves `agent.store`, so the use
cases run the same on PostgreSQL and on an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from agent.domain.decisions import NewDecision
from agent.domain.vocabulary import (
    ApprovalStatus,
    CloneOrigin,
    CustomerMode,
    JobStatus,
    LoopName,
    RunStatus,
    Stage,
    WorkKind,
    WorkStatus,
)


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    layers_project_id: str
    name: str
    timezone: str
    stage: Stage = Stage.EARLY
    mode: CustomerMode = CustomerMode.ACTIVE
    enabled: bool = True
    run_at: time = time(6, 0)
    external_id: str | None = None
    threshold_overrides: Mapping[str, Any] = field(default_factory=dict)
    auto_approve_kinds: frozenset[str] = frozenset()
    # publish and learn (issue 15): schedule approved clones without asking, and the local posting slot
    auto_schedule: bool = False
    posting_at: time | None = None  # None: the DEFAULT_POSTING_AT setting


@dataclass(frozen=True)
class RunRecord:
    id: int
    customer_id: int
    loop: LoopName
    local_date: date
    status: RunStatus
    attempts: int = 0
    planned_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take a run: `run` is set only when this worker now owns it."""

    run: RunRecord | None
    reason: str


@dataclass(frozen=True)
class CloneSpec:
    source_post_id: str
    mode: str
    variations: int
    origin: CloneOrigin
    slot: int | None = None


@dataclass(frozen=True)
class CommissionSpec:
    hook: str
    hook_source_post_id: str | None
    variant_count: int


@dataclass(frozen=True)
class WorkItem:
    """One clone or commission: the ids it is sent with, where it stands, and what exactly to send."""

    id: int
    kind: WorkKind
    customer_id: int
    loop: LoopName
    container_id: str
    idempotency_key: str
    status: WorkStatus
    spec: CloneSpec | CommissionSpec
    run_id: int | None = None
    decision_id: int | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class SendOrder:
    """A work item locked for sending, with the project it is sent to."""

    work: WorkItem
    project_id: str


@dataclass(frozen=True)
class DueJob:
    """A followed job whose next poll is due, leased to this poller."""

    id: int
    job_id: str
    kind: WorkKind
    work_id: int
    customer_id: int
    loop: LoopName
    etag: str | None
    deadline_at: datetime
    container_id: str
    # a poller that never abandons a job (issue 11): where its polling stands, and the decisions it links to
    status: JobStatus = JobStatus.RUNNING  # or timed_out: reconciled until `reconcile_until`
    polls: int = 0
    interval_s: float = 0.0
    decision_id: int | None = None  # the decision that asked for the work
    timeout_decision_id: int | None = None  # the decision that recorded its timeout


@dataclass(frozen=True)
class ApprovalRecord:
    decision_id: int
    customer_id: int
    kind: str
    method: str
    path: str
    body: dict[str, Any] | None
    idempotency_key: str
    status: ApprovalStatus
    recommendation_id: int | None = None
    customer_mode: CustomerMode = CustomerMode.ACTIVE


# ---- what the loops ask the store to write ---------------------------------------------------------


@dataclass(frozen=True)
class NewClone:
    customer_id: int
    run_id: int | None
    loop: LoopName
    source_post_id: str
    origin: CloneOrigin
    mode: str
    variations: int


@dataclass(frozen=True)
class NewCommission:
    customer_id: int
    run_id: int
    loop: LoopName
    hook: str
    hook_source_post_id: str | None
    variant_count: int


@dataclass(frozen=True)
class Submission:
    """Layers accepted a piece of work: its job, and how to start following it."""

    job_id: str
    now: datetime
    first_poll_s: float
    timeout_s: float


@dataclass(frozen=True)
class NextPoll:
    """A poll that found the job still running (`polled`), or none was made (no quota): what it saw, and
    when to poll next (`interval_s` is the step the backoff grows from)."""

    now: datetime
    at: datetime
    interval_s: float
    polled: bool = True
    stage: str | None = None
    progress: float | None = None
    etag: str | None = None


@dataclass(frozen=True)
class JobEnd:
    status: JobStatus
    now: datetime
    result: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    approval_status: str | None = None
    # a poller that never abandons a job (issue 11)
    duration_s: float | None = None  # Layers' own (finishedAt - startedAt), when it says
    decision: NewDecision | None = None  # recorded with the end, only if this call ends the job
    reconcile_until: datetime | None = None  # timed out: polled now and then until this moment
    next_poll_at: datetime | None = None  # timed out: the first reconciliation poll


# ---- webhook ingestion (issue 11) ------------------------------------------------------------------


@dataclass(frozen=True)
class InboxEvent:
    """A stored webhook event, claimed for processing (leased, so a dead worker's claim comes back)."""

    id: int
    event_id: str
    type: str
    payload: Mapping[str, Any]
    received_at: datetime
    attempts: int


@dataclass(frozen=True)
class FollowedJob:
    """What a webhook finds for a job the agent follows: leased to it (`due`), or, with `due` None, how
    the job stands (ended, or not yet and held by a poller right now)."""

    due: DueJob | None
    status: JobStatus


@dataclass(frozen=True)
class CloneReview:
    """A clone as a `content.*` event finds it by its container id."""

    clone_id: int
    customer_id: int
    decision_id: int | None
    approval_status: str | None
