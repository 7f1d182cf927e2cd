"""Plain, frozen records the store hands to the loops: no ORM object ever leaves `agent.store`, so the use
cases run the same on PostgreSQL and on an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

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
    """A poll that found the job still running: what it saw, and the backoff to the next poll."""

    now: datetime
    multiplier: float
    max_interval_s: float
    jitter_s: float
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
