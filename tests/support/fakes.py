"""In-memory fakes of the use cases' ports (`agent.loops.ports`): a store, the Layers API and the deps.

They keep the semantics the loops rely on (a unit of work commits or rolls back as a whole, a claim is
exclusive, a decision is recorded once per dedupe key, clone slots are five) so that the use cases run end
to end in milliseconds. PostgreSQL's own guarantees are proven by the integration tests, not here.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from agent.config import Settings, load_settings
from agent.domain import records
from agent.domain.decisions import ConsentRequest, FollowUp, NewDecision
from agent.domain.evidence import Evidence
from agent.domain.notifications import NewNotification, OpenSignal, Outgoing
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import (
    DEAD_WORK,
    JOB_TERMINAL,
    LIVE_WORK,
    REVIEW_FINAL,
    RUN_CLAIMABLE,
    RUN_ENDED,
    ApprovalStatus,
    CustomerMode,
    InboxOutcome,
    JobStatus,
    LoopName,
    NotificationStatus,
    RecommendationStatus,
    RunStatus,
    Tick,
    Trigger,
    WorkKind,
    WorkStatus,
)
from agent.layers.models import (
    AdsContentItem,
    AdsMetricsResponse,
    Container,
    Job,
    JobEnvelope,
    JobPoll,
    MetricsResponse,
    Recommendation,
    TopPerformer,
    TopPerformersResponse,
)
from agent.rules.capacity import LoopCost, ScheduleGroup
from agent.rules.health import CustomerHealth
from agent.rules.optimization import PoolSnapshot
from agent.rules.recommendations import RecommendationInput
from agent.rules.thresholds import MAX_CLONE_SLOTS
from tests.support.fake_publishing import FakePublishingLayers, LearnMemory, PublishAndLearnMemory

API_KEY = "lp_test_fake_SECRETsentinel"


@dataclass
class _Run:
    record: records.RunRecord
    lease_until: datetime | None = None
    enqueued_at: datetime | None = None
    rule_version: str | None = None
    trigger: Trigger = Trigger.SCHEDULE


@dataclass
class _Job:
    id: int
    job_id: str
    kind: WorkKind
    work_id: int
    customer_id: int
    next_poll_at: datetime
    deadline_at: datetime
    interval_s: float
    created_at: datetime
    status: JobStatus = JobStatus.RUNNING
    etag: str | None = None
    lease_until: datetime | None = None
    polls: int = 0
    end: records.JobEnd | None = None
    reconcile_until: datetime | None = None  # issue 11: a timed-out job is reconciled until then
    timeout_decision_id: int | None = None
    duration_s: float | None = None


@dataclass
class _InboxRow:
    event: records.InboxEvent
    lease_until: datetime | None = None
    processed_at: datetime | None = None
    outcome: InboxOutcome | None = None
    error: str | None = None


@dataclass
class _Notification:
    new: NewNotification
    status: NotificationStatus = NotificationStatus.PENDING
    attempts: int = 0
    lease_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass
class _Signal:
    signal: OpenSignal
    cleared_at: datetime | None = None


@dataclass
class _Approval:
    record: records.ApprovalRecord
    decided_by: str | None = None
    note: str | None = None
    result: dict[str, Any] | None = None


@dataclass
class Memory:
    """Everything the fake store remembers; one per test."""

    customers: dict[int, records.CustomerRecord] = field(default_factory=dict)
    runs: dict[int, _Run] = field(default_factory=dict)
    decisions: dict[int, NewDecision] = field(default_factory=dict)
    dedupe: dict[str, int] = field(default_factory=dict)
    work: dict[tuple[WorkKind, int], records.WorkItem] = field(default_factory=dict)
    created: dict[tuple[WorkKind, int], datetime] = field(default_factory=dict)
    jobs: dict[int, _Job] = field(default_factory=dict)
    recommendations: dict[tuple[int, str, str], tuple[int, RecommendationStatus]] = field(
        default_factory=dict
    )
    snapshots: dict[tuple[int, date], PoolSnapshot] = field(default_factory=dict)
    approvals: dict[int, _Approval] = field(default_factory=dict)
    run_inputs: dict[int, Evidence] = field(default_factory=dict)
    last_webhook_at: datetime | None = None
    inbox: dict[int, _InboxRow] = field(default_factory=dict)
    clone_approval: dict[int, str | None] = field(default_factory=dict)
    notifications: dict[int, _Notification] = field(default_factory=dict)  # issue 14
    signals: dict[int, _Signal] = field(default_factory=dict)
    health: list[CustomerHealth] = field(default_factory=list)
    loop_costs: list[LoopCost] = field(default_factory=list)  # measured calls of recorded runs
    heartbeats: dict[str, datetime] = field(default_factory=dict)  # issue 13
    learn: LearnMemory = field(default_factory=LearnMemory)  # issue 15
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    now: datetime = datetime(2026, 11, 28, 18, 0)

    def next_id(self) -> int:
        return next(self.ids)

    def add_customer(self, **fields: Any) -> records.CustomerRecord:
        customer = records.CustomerRecord(id=self.next_id(), **fields)
        self.customers[customer.id] = customer
        return customer

    def add_run(self, customer: records.CustomerRecord, loop: LoopName, day: date) -> int:
        run = records.RunRecord(self.next_id(), customer.id, loop, day, RunStatus.PENDING)
        self.runs[run.id] = _Run(run)
        return run.id

    def decisions_of(self, customer_id: int) -> list[NewDecision]:
        return [d for d in self.decisions.values() if d.customer_id == customer_id]

    def receive(self, type: str, data: dict[str, Any], *, event_id: str | None = None) -> int:
        """A webhook event stored by the receiver (once per event id, as the unique key does)."""
        event_id = event_id or f"evt_fake_{len(self.inbox) + 1}"
        for row_id, row in self.inbox.items():
            if row.event.event_id == event_id:
                return row_id
        row_id = self.next_id()
        payload = {"id": event_id, "type": type, "data": data}
        self.inbox[row_id] = _InboxRow(records.InboxEvent(row_id, event_id, type, payload, self.now, 0))
        self.last_webhook_at = self.now
        return row_id


class MemoryStore(PublishAndLearnMemory):
    """One unit of work over a `Memory` (the deps roll it back when the block raises)."""

    def __init__(self, memory: Memory) -> None:
        self.m = memory

    # runs
    def claim_run(self, *, run_id: int, now: datetime, lease_s: int, max_attempts: int) -> records.Claim:
        row = self.m.runs.get(run_id)
        if row is None:
            return records.Claim(None, "unknown_run")
        run = row.record
        if run.status in RUN_ENDED:
            return records.Claim(None, f"already_{run.status}")
        if run.attempts >= max_attempts:
            row.record = replace(run, status=RunStatus.FAILED)
            return records.Claim(None, "attempts_exhausted")
        lapsed = run.status is RunStatus.RUNNING and (row.lease_until is None or row.lease_until < now)
        if run.status not in RUN_CLAIMABLE and not lapsed:
            return records.Claim(None, "held_by_another_worker")
        row.record = replace(run, status=RunStatus.RUNNING, attempts=run.attempts + 1, error=None)
        row.lease_until = now + timedelta(seconds=lease_s)
        return records.Claim(row.record, "claimed")

    def get_run(self, *, run_id: int) -> records.RunRecord | None:
        row = self.m.runs.get(run_id)
        return row.record if row else None

    def lock_unplanned_run(self, *, run_id: int) -> records.RunRecord | None:
        run = self.m.runs[run_id].record
        return None if run.planned_at is not None else run

    def mark_planned(self, *, run_id: int, now: datetime, rule_version: str | None) -> None:
        row = self.m.runs[run_id]
        row.record, row.rule_version = replace(row.record, planned_at=now), rule_version

    def finish_run(self, *, run_id: int, now: datetime) -> None:
        self._set_run(run_id, status=RunStatus.SUCCEEDED, error=None)

    def fail_run(self, *, run_id: int, now: datetime, error: str) -> None:
        self._set_run(run_id, status=RunStatus.FAILED, error=error)

    def release_run(self, *, run_id: int, error: str, give_back_attempt: bool) -> None:
        run = self.m.runs[run_id].record
        if run.status is RunStatus.RUNNING:
            attempts = run.attempts - 1 if give_back_attempt else run.attempts
            self._set_run(run_id, status=RunStatus.QUEUED, error=error, attempts=attempts)

    def _set_run(self, run_id: int, **changes: Any) -> None:
        row = self.m.runs[run_id]
        row.record, row.lease_until = replace(row.record, **changes), None

    def create_due_runs(
        self, *, loop: LoopName, now: datetime, weekday: int | None, after: LoopName | None
    ) -> int:
        raise NotImplementedError("the dispatcher's SQL is tested on PostgreSQL")

    def lock_unsent_runs(
        self, *, now: datetime, resend_after_s: int | None, limit: int, lost: Sequence[int] = ()
    ) -> list[int]:
        resend_before = None if resend_after_s is None else now - timedelta(seconds=resend_after_s)
        due = [
            row.record.id
            for row in self.m.runs.values()
            if row.record.status is RunStatus.PENDING
            or (
                row.record.status is RunStatus.QUEUED
                and (
                    row.enqueued_at is None
                    or row.record.id in lost
                    or (resend_before is not None and row.enqueued_at < resend_before)
                )
            )
            or (
                row.record.status is RunStatus.RUNNING
                and row.lease_until is not None
                and row.lease_until < now
            )
        ]
        return due[:limit]

    def mark_runs_sent(self, *, run_ids: list[int], now: datetime) -> None:
        for run_id in run_ids:
            row = self.m.runs[run_id]
            row.record, row.enqueued_at, row.lease_until = (
                replace(row.record, status=RunStatus.QUEUED),
                now,
                None,
            )

    def lock_pending_runs(self, *, run_ids: Sequence[int]) -> list[int]:
        return [i for i in run_ids if i in self.m.runs and self.m.runs[i].record.status is RunStatus.PENDING]

    def queued_run_ids(self, *, limit: int) -> list[int]:
        return sorted(i for i, row in self.m.runs.items() if row.record.status is RunStatus.QUEUED)[:limit]

    def renew_run_leases(self, *, run_ids: Sequence[int], now: datetime, lease_s: int) -> None:
        for run_id in run_ids:
            row = self.m.runs[run_id]
            if row.record.status is RunStatus.RUNNING:
                row.lease_until = now + timedelta(seconds=lease_s)

    def start_next_run(self, *, run_id: int, loop: LoopName) -> int | None:
        ended = self.m.runs[run_id]
        customer = self.m.customers[ended.record.customer_id]
        key = (customer.id, loop, ended.record.local_date)
        taken = any(
            (r.record.customer_id, r.record.loop, r.record.local_date) == key for r in self.m.runs.values()
        )
        if ended.trigger is not Trigger.SCHEDULE or not customer.enabled or taken:
            return None
        return self.m.add_run(customer, loop, ended.record.local_date)

    # customers and decisions
    def get_customer(self, *, customer_id: int) -> records.CustomerRecord:
        return self.m.customers[customer_id]

    def record_decision(self, new: NewDecision) -> int:
        if new.dedupe_key is not None and new.dedupe_key in self.m.dedupe:
            return self.m.dedupe[new.dedupe_key]
        decision_id = self.m.next_id()
        self.m.decisions[decision_id] = new
        if new.dedupe_key is not None:
            self.m.dedupe[new.dedupe_key] = decision_id
        return decision_id

    def record_follow_up(self, fact: FollowUp) -> int:
        parent = self.m.decisions[fact.parent_id]
        return self.record_decision(
            replace(
                parent,
                action=fact.action,
                reason=fact.reason,
                evidence=fact.evidence,
                actor=fact.actor,
                parent_id=fact.parent_id,
                dedupe_key=fact.dedupe_key,
                rule_version=None,
            )
        )

    # submitted work
    def clone_counts(self, *, customer_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._clones(customer_id):
            if item.status in LIVE_WORK and isinstance(item.spec, records.CloneSpec):
                counts[item.spec.source_post_id] = counts.get(item.spec.source_post_id, 0) + 1
        return counts

    def _clones(self, customer_id: int) -> list[records.WorkItem]:
        return [
            w
            for (kind, _), w in self.m.work.items()
            if kind is WorkKind.CLONE and w.customer_id == customer_id
        ]

    def reserve_clone(self, new: records.NewClone) -> records.WorkItem | None:
        taken = {
            w.spec.slot
            for w in self._clones(new.customer_id)
            if isinstance(w.spec, records.CloneSpec) and w.spec.source_post_id == new.source_post_id
        }
        free = [slot for slot in range(1, MAX_CLONE_SLOTS + 1) if slot not in taken]
        if not free:
            return None
        spec = records.CloneSpec(new.source_post_id, new.mode, new.variations, new.origin, free[0])
        return self._add_work(WorkKind.CLONE, new.customer_id, new.run_id, new.loop, spec)

    def reserve_commission(self, new: records.NewCommission) -> records.WorkItem:
        spec = records.CommissionSpec(new.hook, new.hook_source_post_id, new.variant_count)
        return self._add_work(WorkKind.COMMISSION, new.customer_id, new.run_id, new.loop, spec)

    def _add_work(
        self,
        kind: WorkKind,
        customer_id: int,
        run_id: int | None,
        loop: LoopName,
        spec: records.CloneSpec | records.CommissionSpec,
    ) -> records.WorkItem:
        work_id = self.m.next_id()
        item = records.WorkItem(
            id=work_id,
            kind=kind,
            customer_id=customer_id,
            loop=loop,
            container_id=f"cnt_fake_{work_id}",
            idempotency_key=f"key_{work_id}",
            status=WorkStatus.PENDING,
            spec=spec,
            run_id=run_id,
        )
        self.m.work[(kind, work_id)] = item
        self.m.created[(kind, work_id)] = self.m.now
        return item

    def link_work_decision(self, *, kind: WorkKind, work_id: int, decision_id: int) -> None:
        self._update_work(kind, work_id, decision_id=decision_id)

    def _update_work(self, kind: WorkKind, work_id: int, **changes: Any) -> records.WorkItem:
        item = replace(self.m.work[(kind, work_id)], **changes)
        self.m.work[(kind, work_id)] = item
        return item

    def last_live_commission_at(self, *, customer_id: int) -> datetime | None:
        live = [
            self.m.created[(kind, work_id)]
            for (kind, work_id), item in self.m.work.items()
            if kind is WorkKind.COMMISSION and item.customer_id == customer_id and item.status in LIVE_WORK
        ]
        return max(live, default=None)

    def pending_work(self, *, run_id: int) -> list[records.WorkItem]:
        pending = [w for w in self.m.work.values() if w.run_id == run_id and w.status is WorkStatus.PENDING]
        return sorted(pending, key=lambda w: (w.kind is WorkKind.CLONE, w.id))

    def begin_send(self, *, kind: WorkKind, work_id: int) -> records.SendOrder | None:
        item = self.m.work[(kind, work_id)]
        if item.status is not WorkStatus.PENDING:
            return None
        return records.SendOrder(item, self.m.customers[item.customer_id].layers_project_id)

    def mark_submitted(self, *, kind: WorkKind, work_id: int, submission: records.Submission) -> None:
        item = self._update_work(kind, work_id, status=WorkStatus.SUBMITTED, job_id=submission.job_id)
        if any(job.job_id == submission.job_id for job in self.m.jobs.values()):
            return
        row_id = self.m.next_id()
        self.m.jobs[row_id] = _Job(
            id=row_id,
            job_id=submission.job_id,
            kind=kind,
            work_id=work_id,
            customer_id=item.customer_id,
            next_poll_at=submission.now + timedelta(seconds=submission.first_poll_s),
            deadline_at=submission.now + timedelta(seconds=submission.timeout_s),
            interval_s=submission.first_poll_s,
            created_at=submission.now,
        )

    def reject_work(
        self, *, kind: WorkKind, work_id: int, now: datetime, code: str, message: str
    ) -> records.WorkItem:
        return self._finish_work(kind, work_id, WorkStatus.FAILED)

    def _finish_work(self, kind: WorkKind, work_id: int, status: WorkStatus) -> records.WorkItem:
        item = self.m.work[(kind, work_id)]
        spec = item.spec
        if isinstance(spec, records.CloneSpec) and status in DEAD_WORK:
            spec = replace(spec, slot=None)
        return self._update_work(kind, work_id, status=status, spec=spec)

    # jobs
    def claim_due_jobs(self, *, now: datetime, limit: int, lease_s: float) -> list[records.DueJob]:
        due = []
        for job in sorted(self.m.jobs.values(), key=lambda j: j.next_poll_at):
            until = job.reconcile_until
            reconciling = job.status is JobStatus.TIMED_OUT and until is not None and until >= now
            if (job.status is not JobStatus.RUNNING and not reconciling) or job.next_poll_at > now:
                continue
            if job.lease_until is not None and job.lease_until >= now:
                continue
            job.lease_until = now + timedelta(seconds=lease_s)
            work = self.m.work[(job.kind, job.work_id)]
            due.append(
                records.DueJob(
                    job.id,
                    job.job_id,
                    job.kind,
                    job.work_id,
                    job.customer_id,
                    work.loop,
                    job.etag,
                    job.deadline_at,
                    work.container_id,
                    status=job.status,
                    polls=job.polls,
                    interval_s=job.interval_s,
                    decision_id=work.decision_id,
                    timeout_decision_id=job.timeout_decision_id,
                )
            )
        return due[:limit]

    def reschedule_job(self, *, job_row_id: int, poll: records.NextPoll) -> None:
        job = self.m.jobs[job_row_id]
        job.polls += 1 if poll.polled else 0
        job.etag = poll.etag or job.etag
        job.interval_s, job.next_poll_at, job.lease_until = poll.interval_s, poll.at, None

    def finish_job(self, *, job_row_id: int, end: records.JobEnd) -> float | None:
        job = self.m.jobs[job_row_id]
        if job.status in JOB_TERMINAL or (
            job.status is JobStatus.TIMED_OUT and end.status is JobStatus.TIMED_OUT
        ):
            return None
        job.status, job.end, job.lease_until = end.status, end, None
        job.polls += 1
        decision_id = self.record_decision(end.decision) if end.decision is not None else None
        if end.status is JobStatus.TIMED_OUT:
            job.timeout_decision_id, job.reconcile_until = decision_id, end.reconcile_until
            job.next_poll_at = end.next_poll_at or end.now
        else:
            observed = (end.now - job.created_at).total_seconds()
            job.duration_s = end.duration_s if end.duration_s is not None else observed
        self._finish_work(job.kind, job.work_id, WorkStatus(end.status))
        if job.kind is WorkKind.CLONE and end.approval_status is not None:
            self.set_clone_approval(clone_id=job.work_id, approval_status=end.approval_status)
        return (end.now - job.created_at).total_seconds()

    def recent_job_durations(self, *, kind: WorkKind, limit: int) -> list[float]:
        done = [j for j in self.m.jobs.values() if j.kind is kind and j.status is JobStatus.COMPLETED]
        ended = sorted(done, key=lambda j: j.end.now if j.end else j.created_at, reverse=True)
        return [j.duration_s for j in ended if j.duration_s is not None][:limit]

    def last_webhook_received_at(self) -> datetime | None:
        return self.m.last_webhook_at

    def followed_job(self, *, job_id: str, now: datetime, lease_s: float) -> records.FollowedJob | None:
        job = next((j for j in self.m.jobs.values() if j.job_id == job_id), None)
        if job is None:
            return None
        if job.status in JOB_TERMINAL or (job.lease_until is not None and job.lease_until >= now):
            return records.FollowedJob(None, job.status)
        job.lease_until = now + timedelta(seconds=lease_s)
        work = self.m.work[(job.kind, job.work_id)]
        due = records.DueJob(
            job.id, job.job_id, job.kind, job.work_id, job.customer_id, work.loop, job.etag,
            job.deadline_at, work.container_id, status=job.status, polls=job.polls,
            interval_s=job.interval_s, decision_id=work.decision_id,
            timeout_decision_id=job.timeout_decision_id,
        )  # fmt: skip
        return records.FollowedJob(due, job.status)

    # the webhook inbox
    def claim_webhook_events(
        self, *, now: datetime, limit: int, lease_s: float, row_id: int | None
    ) -> list[records.InboxEvent]:
        claimed = []
        for key, row in sorted(self.m.inbox.items()):
            free = row.lease_until is None or row.lease_until < now
            if row.processed_at is None and free and row_id in (None, key) and len(claimed) < limit:
                row.event = replace(row.event, attempts=row.event.attempts + 1)
                row.lease_until = now + timedelta(seconds=lease_s)
                claimed.append(row.event)
        return claimed

    def finish_webhook_event(
        self, *, row_id: int, now: datetime, outcome: InboxOutcome, error: str | None
    ) -> None:
        row = self.m.inbox[row_id]
        row.processed_at, row.outcome, row.error, row.lease_until = now, outcome, error, None

    def retry_webhook_event(self, *, row_id: int, at: datetime, error: str | None) -> None:
        row = self.m.inbox[row_id]
        row.lease_until, row.error = at, error

    def clone_for_container(self, *, container_id: str) -> records.CloneReview | None:
        for (kind, work_id), item in self.m.work.items():
            if kind is WorkKind.CLONE and item.container_id == container_id:
                approval = self.m.clone_approval.get(work_id)
                return records.CloneReview(work_id, item.customer_id, item.decision_id, approval)
        return None

    def set_clone_approval(self, *, clone_id: int, approval_status: str | None) -> None:
        if self.m.clone_approval.get(clone_id) not in REVIEW_FINAL:
            self.m.clone_approval[clone_id] = approval_status

    # recommendations, snapshots, approvals
    def tracked_recommendations(self, *, customer_id: int) -> dict[tuple[str, str], RecommendationStatus]:
        return {
            (kind, subject): status
            for (c, kind, subject), (_, status) in self.m.recommendations.items()
            if c == customer_id
        }

    def track_recommendation(self, *, customer_id: int, item: RecommendationInput) -> int:
        key = (customer_id, item.view.kind, item.view.subject_id)
        if key not in self.m.recommendations:
            self.m.recommendations[key] = (self.m.next_id(), RecommendationStatus.OPEN)
        return self.m.recommendations[key][0]

    def set_recommendation_status(
        self, *, row_id: int, status: RecommendationStatus, decision_id: int | None
    ) -> None:
        for key, (existing, _) in self.m.recommendations.items():
            if existing == row_id:
                self.m.recommendations[key] = (row_id, status)

    def save_snapshot(self, *, customer_id: int, day: date, snapshot: PoolSnapshot) -> None:
        self.m.snapshots.setdefault((customer_id, day), snapshot)

    def save_run_input(self, *, run: records.RunRecord, rule_version: str | None, record: Evidence) -> None:
        self.m.run_inputs.setdefault(run.id, record)

    def publish_input_of_day(self, *, customer_id: int, local_date: date) -> PublishInput | None:
        wanted = (customer_id, LoopName.PUBLISH_TO_LEARN, local_date)
        for run_id, record in self.m.run_inputs.items():
            run = self.m.runs[run_id].record
            if (run.customer_id, run.loop, run.local_date) == wanted and isinstance(record, PublishInput):
                return record
        return None

    def propose(
        self, *, decision_id: int, request: ConsentRequest, recommendation_row_id: int | None, now: datetime
    ) -> None:
        customer_id = self.m.decisions[decision_id].customer_id
        status = ApprovalStatus.APPROVED if request.auto_approved else ApprovalStatus.PENDING
        self.m.approvals[decision_id] = _Approval(
            records.ApprovalRecord(
                decision_id=decision_id,
                customer_id=customer_id,
                kind=request.kind,
                method=request.method,
                path=request.path,
                body=request.body,
                idempotency_key=f"approval_key_{decision_id}",
                status=status,
                recommendation_id=recommendation_row_id,
            ),
            decided_by="policy" if request.auto_approved else None,
        )

    def lock_approval(self, *, decision_id: int) -> records.ApprovalRecord | None:
        approval = self.m.approvals.get(decision_id)
        if approval is None:
            return None
        mode = self.m.customers[approval.record.customer_id].mode
        return replace(approval.record, customer_mode=CustomerMode(mode))

    def decide_approval(
        self, *, decision_id: int, status: ApprovalStatus, actor: str, now: datetime, note: str | None
    ) -> None:
        approval = self.m.approvals[decision_id]
        approval.record = replace(approval.record, status=status)
        approval.decided_by, approval.note = actor, note

    def settle_approval(
        self, *, decision_id: int, status: ApprovalStatus, now: datetime, result: dict[str, Any]
    ) -> None:
        approval = self.m.approvals[decision_id]
        approval.record, approval.result = replace(approval.record, status=status), result

    def approved_proposals(self, *, customer_id: int | None) -> list[int]:
        return [
            decision_id
            for decision_id, approval in sorted(self.m.approvals.items())
            if approval.record.status is ApprovalStatus.APPROVED
            and (customer_id is None or approval.record.customer_id == customer_id)
        ]

    # notifications and health signals (issue 14)
    def describe_decision(self, *, decision_id: int) -> list[str]:
        d = self.m.decisions[decision_id]
        return [f"Decision {decision_id}: {d.action} / {d.reason}."]

    def enqueue_notifications(self, *, items: Sequence[NewNotification]) -> int:
        known = {(n.new.event_key, n.new.channel) for n in self.m.notifications.values()}
        added = [item for item in items if (item.event_key, item.channel) not in known]
        for item in added:
            self.m.notifications[self.m.next_id()] = _Notification(item)
        return len(added)

    def claim_notifications(self, *, now: datetime, limit: int, lease_s: float) -> list[Outgoing]:
        claimed = []
        for row_id, row in sorted(self.m.notifications.items()):
            due = row.status is NotificationStatus.PENDING and row.new.due_at <= now
            if not due or (row.lease_until is not None and row.lease_until >= now) or len(claimed) >= limit:
                continue
            row.lease_until, row.attempts = now + timedelta(seconds=lease_s), row.attempts + 1
            n, lease = row.new, row.lease_until
            claimed.append(
                Outgoing(row_id, n.channel, n.event, n.title, n.body, n.link, n.digest, row.attempts, lease)
            )
        return claimed

    def renew_notification_lease(self, *, ids: Sequence[int], held_until: datetime, until: datetime) -> bool:
        rows = self._pending(ids)
        if len(rows) != len(ids) or any(row.lease_until != held_until for row in rows):
            return False
        for row in rows:
            row.lease_until = until
        return True

    def mark_notifications_sent(self, *, ids: Sequence[int], now: datetime) -> None:
        for row in self._pending(ids):
            row.status, row.sent_at = NotificationStatus.SENT, now
            row.lease_until, row.last_error = None, None

    def reschedule_notifications(
        self, *, ids: Sequence[int], at: datetime, error: str | None, give_back_attempt: bool
    ) -> None:
        for row in self._pending(ids):
            row.new, row.lease_until = replace(row.new, due_at=at), None
            row.last_error = error if error is not None else row.last_error
            row.attempts -= 1 if give_back_attempt else 0

    def give_up_notifications(self, *, ids: Sequence[int], error: str) -> None:
        for row in self._pending(ids):
            row.status, row.lease_until, row.last_error = NotificationStatus.GIVEN_UP, None, error

    def _pending(self, ids: Sequence[int]) -> list[_Notification]:
        rows = (self.m.notifications[i] for i in ids)
        return [row for row in rows if row.status is NotificationStatus.PENDING]

    def health_inputs(self, *, now: datetime) -> list[CustomerHealth]:
        return list(self.m.health)

    def loop_costs(self, *, since: date) -> list[LoopCost]:
        return list(self.m.loop_costs)

    def schedule_groups(self) -> list[ScheduleGroup]:
        groups = Counter((c.timezone, c.run_at) for c in self.m.customers.values() if c.enabled)
        return [ScheduleGroup(tz, at, n) for (tz, at), n in sorted(groups.items())]

    def open_health_signals(self) -> list[OpenSignal]:
        return [row.signal for _, row in sorted(self.m.signals.items()) if row.cleared_at is None]

    def open_health_signal(self, *, customer_id: int, signal: str, detail: str, now: datetime) -> int | None:
        if any(s.customer_id == customer_id and s.signal == signal for s in self.open_health_signals()):
            return None
        row_id = self.m.next_id()
        self.m.signals[row_id] = _Signal(OpenSignal(row_id, customer_id, signal, detail, now))
        return row_id

    def clear_health_signal(self, *, signal_id: int, now: datetime) -> bool:
        row = self.m.signals[signal_id]
        if row.cleared_at is not None:
            return False
        row.cleared_at = now
        return True

    # the ops experience (issue 13)
    def record_heartbeat(self, *, tick: Tick, now: datetime) -> None:
        self.m.heartbeats[tick] = now


# ---- the Layers API -------------------------------------------------------------------------------


@dataclass
class FakeProject:
    """What Layers knows about one project: rows as the API would return them."""

    top: list[TopPerformer] = field(default_factory=list)
    by_metric: dict[str, list[TopPerformer]] = field(default_factory=dict)
    ads_content: list[AdsContentItem] = field(default_factory=list)
    ads: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    posts_published: int | None = 3


@dataclass
class FakeJob:
    job_id: str
    status: str = "running"
    approval_status: str | None = "pending"


class FakeLayers(FakePublishingLayers):
    """An in-memory Layers: reads come from `projects`, writes are recorded and replayed by container id."""

    def __init__(self, projects: Mapping[str, FakeProject] | None = None) -> None:
        self.projects: dict[str, FakeProject] = dict(projects or {})
        self.jobs: dict[str, FakeJob] = {}
        self.by_container: dict[str, str] = {}
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.calls: list[str] = []
        self.fail_next: list[Exception] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_next:
            raise self.fail_next.pop(0)

    def top_performers(
        self,
        project_id: str,
        *,
        metric: str,
        window: str = "30d",
        limit: int | None = None,
        include_ineligible: bool | None = None,
        source_type: Sequence[str] | None = None,
    ) -> TopPerformersResponse:
        self._call("top_performers")
        project = self.projects[project_id]
        rows = project.by_metric.get(metric, project.top)
        rows = [row for row in rows if not source_type or row.source_type in source_type]
        return TopPerformersResponse(metric=metric, window=window, items=rows[:limit])

    def iter_ads_content(
        self, project_id: str, *, override: str | None = None, limit: int | None = None
    ) -> Iterator[AdsContentItem]:
        self._call("ads_content")
        rows = self.projects[project_id].ads_content
        return iter([row for row in rows if override is None or row.override == override])

    def ads_metrics(
        self,
        project_id: str,
        *,
        since: datetime,
        until: datetime,
        group_by: str | None = None,
        metrics: Sequence[str] | None = None,
    ) -> AdsMetricsResponse:
        self._call("ads_metrics")
        return AdsMetricsResponse.model_validate({"series": self.projects[project_id].ads, "totals": {}})

    def iter_recommendations(
        self, project_id: str, *, status: str | Sequence[str] | None = None
    ) -> Iterator[Recommendation]:
        self._call("recommendations")
        return iter(self.projects[project_id].recommendations)

    def metrics(
        self,
        project_id: str,
        *,
        scope: str,
        id: str,
        metrics: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> MetricsResponse:
        self._call("metrics")
        if scope == "platform_post" and id in self.scheduling.metrics:  # a published clone's numbers
            views, rate = self.scheduling.metrics[id]
            return MetricsResponse(series=[], totals={"views": views, "engagement_rate": rate})
        published = self.projects[project_id].posts_published
        totals = {} if published is None else {"posts_published": published}
        return MetricsResponse(series=[], totals=totals)

    def _start(self, kind: str, container_id: str, body: dict[str, Any]) -> JobEnvelope:
        self._call(kind)
        if container_id not in self.by_container:  # the container id is the permanent idempotency
            job_id = f"job_{len(self.jobs) + 1}"
            self.by_container[container_id] = job_id
            self.jobs[job_id] = FakeJob(job_id)
            self.sent.append((kind, container_id, body))
        return JobEnvelope(job_id=self.by_container[container_id], status="queued")

    def clone_from_post(
        self,
        container_id: str,
        *,
        project_id: str,
        source_platform_post_id: str,
        mode: str = "fork",
        variations: int = 1,
        idempotency_key: str | None,
    ) -> JobEnvelope:
        body = {"projectId": project_id, "sourcePlatformPostId": source_platform_post_id, "mode": mode}
        return self._start("clone", container_id, {**body, "variations": variations})

    def generate_content(
        self,
        project_id: str,
        *,
        container_id: str | None,
        brief: Mapping[str, Any],
        variant_count: int = 1,
        idempotency_key: str | None,
    ) -> JobEnvelope:
        return self._start(
            "commission", container_id or "", {"brief": dict(brief), "variantCount": variant_count}
        )

    def get_job(self, job_id: str, *, etag: str | None = None) -> JobPoll:
        self._call("get_job")
        job = self.jobs[job_id]
        return JobPoll(job=Job(job_id=job_id, status=job.status), etag=f'"{job.status}"', not_modified=False)

    def get_content(self, container_id: str) -> Container:
        self._call("get_content")
        job = self.jobs[self.by_container[container_id]]
        return Container(id=container_id, approval_status=job.approval_status)

    def call_relative(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, idempotency_key: str | None
    ) -> Any:
        self._call("call_relative")
        self.sent.append((method, path, dict(body or {})))
        return {"ok": True}

    def finish_all(self, status: str = "completed") -> None:
        for job in self.jobs.values():
            job.status = status


# ---- the deps -------------------------------------------------------------------------------------


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class FakeDeps:
    """`agent.loops.ports.Deps` on the fakes: a unit of work rolls the memory back when its block raises."""

    settings: Settings
    client: FakeLayers
    memory: Memory
    clock: Clock
    # one unit of work at a time, as a database serializes them (the job poller polls on threads)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def store(self) -> Iterator[MemoryStore]:
        with self.lock:
            self.memory.now = self.clock()
            saved = copy.deepcopy({k: v for k, v in vars(self.memory).items() if k != "ids"})
            try:
                yield MemoryStore(self.memory)
            except BaseException:
                for key, value in saved.items():
                    setattr(self.memory, key, value)
                raise


def fake_settings(**overrides: Any) -> Settings:
    return load_settings(
        _env_file=None,
        layers_api_key=API_KEY,
        layers_base_url="http://layers.invalid",
        database_url="sqlite://",
        redis_url=None,
        **overrides,
    )
