"""What the use cases need from the outside world, as protocols: a store (one unit of work per `with`), the
Layers API, the settings and the clock.

`agent.store.sql.SqlStore` and `agent.layers.LayersClient` are the production adapters; the unit tests use
in-memory fakes of the same shape (`tests/support/fakes.py`), so the loops run end to end in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from agent.config import Settings
from agent.domain.decisions import ConsentRequest, FollowUp, NewDecision
from agent.domain.evidence import Evidence
from agent.domain.records import (
    ApprovalRecord,
    Claim,
    CustomerRecord,
    DueJob,
    JobEnd,
    NewClone,
    NewCommission,
    NextPoll,
    RunRecord,
    SendOrder,
    Submission,
    WorkItem,
)
from agent.domain.vocabulary import ApprovalStatus, LoopName, RecommendationStatus, WorkKind
from agent.layers.models import (
    AdsContentItem,
    AdsMetricsResponse,
    Container,
    JobEnvelope,
    JobPoll,
    MetricsResponse,
    Recommendation,
    TopPerformersResponse,
)
from agent.rules.optimization import PoolSnapshot
from agent.rules.recommendations import RecommendationInput


class Store(Protocol):
    """One unit of work: everything done through one instance commits together, or not at all."""

    # runs
    def claim_run(self, *, run_id: int, now: datetime, lease_s: int, max_attempts: int) -> Claim: ...
    def get_run(self, *, run_id: int) -> RunRecord | None: ...
    def lock_unplanned_run(self, *, run_id: int) -> RunRecord | None: ...
    def mark_planned(self, *, run_id: int, now: datetime, rule_version: str | None) -> None: ...
    def finish_run(self, *, run_id: int, now: datetime) -> None: ...
    def fail_run(self, *, run_id: int, now: datetime, error: str) -> None: ...
    def release_run(self, *, run_id: int, error: str, give_back_attempt: bool) -> None: ...
    def create_due_runs(
        self, *, loop: LoopName, now: datetime, weekday: int | None, after: LoopName | None
    ) -> int: ...
    def lock_unsent_runs(self, *, now: datetime, resend_after_s: int, limit: int) -> list[int]: ...
    def mark_runs_sent(self, *, run_ids: list[int], now: datetime) -> None: ...

    # customers and decisions
    def get_customer(self, *, customer_id: int) -> CustomerRecord: ...
    def record_decision(self, new: NewDecision) -> int: ...
    def record_follow_up(self, fact: FollowUp) -> int: ...

    # submitted work
    def clone_counts(self, *, customer_id: int) -> dict[str, int]: ...
    def reserve_clone(self, new: NewClone) -> WorkItem | None: ...
    def reserve_commission(self, new: NewCommission) -> WorkItem: ...
    def link_work_decision(self, *, kind: WorkKind, work_id: int, decision_id: int) -> None: ...
    def last_live_commission_at(self, *, customer_id: int) -> datetime | None: ...
    def pending_work(self, *, run_id: int) -> list[WorkItem]: ...
    def begin_send(self, *, kind: WorkKind, work_id: int) -> SendOrder | None: ...
    def mark_submitted(self, *, kind: WorkKind, work_id: int, submission: Submission) -> None: ...
    def reject_work(
        self, *, kind: WorkKind, work_id: int, now: datetime, code: str, message: str
    ) -> WorkItem: ...

    # jobs
    def claim_due_jobs(self, *, now: datetime, limit: int, lease_s: float) -> list[DueJob]: ...
    def reschedule_job(self, *, job_row_id: int, poll: NextPoll) -> None: ...
    def finish_job(self, *, job_row_id: int, end: JobEnd) -> float: ...
    def last_webhook_received_at(self) -> datetime | None: ...

    # recommendations, snapshots, approvals
    def tracked_recommendations(self, *, customer_id: int) -> dict[tuple[str, str], RecommendationStatus]: ...
    def track_recommendation(self, *, customer_id: int, item: RecommendationInput) -> int: ...
    def set_recommendation_status(
        self, *, row_id: int, status: RecommendationStatus, decision_id: int | None
    ) -> None: ...
    def save_snapshot(self, *, customer_id: int, day: date, snapshot: PoolSnapshot) -> None: ...
    def save_run_input(self, *, run: RunRecord, rule_version: str | None, record: Evidence) -> None: ...
    def propose(
        self, *, decision_id: int, request: ConsentRequest, recommendation_row_id: int | None, now: datetime
    ) -> None: ...
    def lock_approval(self, *, decision_id: int) -> ApprovalRecord | None: ...
    def decide_approval(
        self, *, decision_id: int, status: ApprovalStatus, actor: str, now: datetime, note: str | None
    ) -> None: ...
    def settle_approval(
        self, *, decision_id: int, status: ApprovalStatus, now: datetime, result: dict[str, Any]
    ) -> None: ...
    def approved_proposals(self, *, customer_id: int | None) -> list[int]: ...


class LayersApi(Protocol):
    """The Layers calls the loops make (`agent.layers.LayersClient` is the real one)."""

    def top_performers(
        self,
        project_id: str,
        *,
        metric: str,
        window: str = ...,
        limit: int | None = ...,
        include_ineligible: bool | None = ...,
    ) -> TopPerformersResponse: ...
    def iter_ads_content(
        self, project_id: str, *, override: str | None = ...
    ) -> Iterator[AdsContentItem]: ...
    def ads_metrics(
        self,
        project_id: str,
        *,
        since: datetime,
        until: datetime,
        group_by: str | None = ...,
        metrics: Sequence[str] | None = ...,
    ) -> AdsMetricsResponse: ...
    def iter_recommendations(
        self, project_id: str, *, status: str | Sequence[str] | None = ...
    ) -> Iterator[Recommendation]: ...
    def metrics(
        self,
        project_id: str,
        *,
        scope: str,
        id: str,
        metrics: Sequence[str] | None = ...,
        since: datetime | None = ...,
        until: datetime | None = ...,
    ) -> MetricsResponse: ...
    def clone_from_post(
        self,
        container_id: str,
        *,
        project_id: str,
        source_platform_post_id: str,
        mode: str = ...,
        variations: int = ...,
        idempotency_key: str | None,
    ) -> JobEnvelope: ...
    def generate_content(
        self,
        project_id: str,
        *,
        container_id: str | None,
        brief: Mapping[str, Any],
        variant_count: int = ...,
        idempotency_key: str | None,
    ) -> JobEnvelope: ...
    def get_job(self, job_id: str, *, etag: str | None = ...) -> JobPoll: ...
    def get_content(self, container_id: str) -> Container: ...
    def call_relative(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = ..., idempotency_key: str | None
    ) -> Any: ...


class Deps(Protocol):
    """Everything a use case is given: settings, a unit of work per `store()`, the Layers API, the clock."""

    @property
    def settings(self) -> Settings: ...
    @property
    def client(self) -> LayersApi: ...
    def now(self) -> datetime: ...
    def store(self) -> AbstractContextManager[Store]: ...
