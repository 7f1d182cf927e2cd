"""The store the loops use (`agent.loops.ports.Store`), on one SQLAlchemy session: each method is one call
to the aggregate module that owns the SQL, so this file stays a table of contents, not a second store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from agent.domain import records
from agent.domain.decisions import ConsentRequest, FollowUp, NewDecision
from agent.domain.evidence import Evidence
from agent.domain.notifications import NewNotification, OpenSignal, Outgoing
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import (
    ApprovalStatus,
    InboxOutcome,
    LoopName,
    RecommendationStatus,
    Tick,
    WorkKind,
    WorkStatus,
)
from agent.rules.capacity import LoopCost, ScheduleGroup
from agent.rules.health import CustomerHealth
from agent.rules.optimization import PoolSnapshot
from agent.rules.recommendations import RecommendationInput
from agent.store import (
    approvals,
    calls,
    clones,
    commissions,
    customers,
    decisions,
    dispatch,
    health_signals,
    heartbeats,
    inbox,
    jobs,
    notifications,
    recommendations,
    reports,
    run_inputs,
    runs,
    snapshots,
    work,
)
from agent.store.sql_learning import PublishAndLearn


class SqlStore(PublishAndLearn):
    """One unit of work on PostgreSQL (or SQLite for the demo); the caller's session owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # runs
    def claim_run(self, *, run_id: int, now: datetime, lease_s: int, max_attempts: int) -> records.Claim:
        return runs.claim(self.session, run_id=run_id, now=now, lease_s=lease_s, max_attempts=max_attempts)

    def get_run(self, *, run_id: int) -> records.RunRecord | None:
        return runs.get(self.session, run_id=run_id)

    def lock_unplanned_run(self, *, run_id: int) -> records.RunRecord | None:
        return runs.lock_unplanned(self.session, run_id=run_id)

    def mark_planned(self, *, run_id: int, now: datetime, rule_version: str | None) -> None:
        runs.mark_planned(self.session, run_id=run_id, now=now, rule_version=rule_version)

    def finish_run(self, *, run_id: int, now: datetime) -> None:
        runs.finish(self.session, run_id=run_id, now=now)

    def fail_run(self, *, run_id: int, now: datetime, error: str) -> None:
        runs.fail(self.session, run_id=run_id, now=now, error=error)

    def release_run(self, *, run_id: int, error: str, give_back_attempt: bool) -> None:
        runs.release(self.session, run_id=run_id, error=error, give_back_attempt=give_back_attempt)

    def create_due_runs(
        self, *, loop: LoopName, now: datetime, weekday: int | None, after: LoopName | None
    ) -> int:
        return dispatch.create_due_runs(self.session, loop=loop, now=now, weekday=weekday, after=after)

    def lock_unsent_runs(
        self, *, now: datetime, resend_after_s: int | None, limit: int, lost: Sequence[int] = ()
    ) -> list[int]:
        return dispatch.lock_unsent(
            self.session, now=now, resend_after_s=resend_after_s, limit=limit, lost=lost
        )

    def lock_pending_runs(self, *, run_ids: Sequence[int]) -> list[int]:
        return dispatch.lock_pending(self.session, run_ids=run_ids)

    def queued_run_ids(self, *, limit: int) -> list[int]:
        return dispatch.queued_ids(self.session, limit=limit)

    def renew_run_leases(self, *, run_ids: Sequence[int], now: datetime, lease_s: int) -> None:
        runs.renew_leases(self.session, run_ids=run_ids, now=now, lease_s=lease_s)

    def start_next_run(self, *, run_id: int, loop: LoopName) -> int | None:
        return runs.start_next(self.session, run_id=run_id, loop=loop)

    def mark_runs_sent(self, *, run_ids: list[int], now: datetime) -> None:
        dispatch.mark_sent(self.session, run_ids=run_ids, now=now)

    # customers and decisions
    def get_customer(self, *, customer_id: int) -> records.CustomerRecord:
        return customers.get_record(self.session, customer_id=customer_id)

    def record_decision(self, new: NewDecision) -> int:
        return decisions.record(self.session, new)

    def record_follow_up(self, fact: FollowUp) -> int:
        return decisions.follow_up(self.session, fact=fact)

    # submitted work
    def clone_counts(self, *, customer_id: int) -> dict[str, int]:
        return clones.counts(self.session, customer_id=customer_id)

    def reserve_clone(self, new: records.NewClone) -> records.WorkItem | None:
        return clones.reserve(self.session, new=new)

    def reserve_commission(self, new: records.NewCommission) -> records.WorkItem:
        return commissions.reserve(self.session, new=new)

    def link_work_decision(self, *, kind: WorkKind, work_id: int, decision_id: int) -> None:
        work.link_decision(self.session, kind=kind, work_id=work_id, decision_id=decision_id)

    def last_live_commission_at(self, *, customer_id: int) -> datetime | None:
        return commissions.last_live_at(self.session, customer_id=customer_id)

    def pending_work(self, *, run_id: int) -> list[records.WorkItem]:
        return work.pending_for_run(self.session, run_id=run_id)

    def begin_send(self, *, kind: WorkKind, work_id: int) -> records.SendOrder | None:
        return work.begin_send(self.session, kind=kind, work_id=work_id)

    def mark_submitted(self, *, kind: WorkKind, work_id: int, submission: records.Submission) -> None:
        work.mark_submitted(self.session, kind=kind, work_id=work_id, submission=submission)

    def reject_work(
        self, *, kind: WorkKind, work_id: int, now: datetime, code: str, message: str
    ) -> records.WorkItem:
        return work.finish(
            self.session,
            kind=kind,
            work_id=work_id,
            status=WorkStatus.FAILED,
            now=now,
            error_code=code,
            error_message=message,
        )

    # jobs
    def claim_due_jobs(self, *, now: datetime, limit: int, lease_s: float) -> list[records.DueJob]:
        return jobs.claim_due(self.session, now=now, limit=limit, lease_s=lease_s)

    def reschedule_job(self, *, job_row_id: int, poll: records.NextPoll) -> None:
        jobs.reschedule(self.session, job_row_id=job_row_id, poll=poll)

    def finish_job(self, *, job_row_id: int, end: records.JobEnd) -> float | None:
        return jobs.finish(self.session, job_row_id=job_row_id, end=end)

    def recent_job_durations(self, *, kind: WorkKind, limit: int) -> list[float]:
        return jobs.recent_durations(self.session, kind=kind, limit=limit)

    def last_webhook_received_at(self) -> datetime | None:
        return inbox.last_received_at(self.session)

    def followed_job(self, *, job_id: str, now: datetime, lease_s: float) -> records.FollowedJob | None:
        return jobs.followed_job(self.session, job_id=job_id, now=now, lease_s=lease_s)

    # the webhook inbox (issue 11)
    def claim_webhook_events(
        self, *, now: datetime, limit: int, lease_s: float, row_id: int | None
    ) -> list[records.InboxEvent]:
        return inbox.claim(self.session, now=now, limit=limit, lease_s=lease_s, row_id=row_id)

    def finish_webhook_event(
        self, *, row_id: int, now: datetime, outcome: InboxOutcome, error: str | None
    ) -> None:
        inbox.finish(self.session, row_id=row_id, now=now, outcome=outcome, error=error)

    def retry_webhook_event(self, *, row_id: int, at: datetime, error: str | None) -> None:
        inbox.retry_later(self.session, row_id=row_id, at=at, error=error)

    def clone_for_container(self, *, container_id: str) -> records.CloneReview | None:
        return clones.for_container(self.session, container_id=container_id)

    def set_clone_approval(self, *, clone_id: int, approval_status: str) -> None:
        clones.set_approval_status(self.session, clone_id=clone_id, approval_status=approval_status)

    # recommendations, snapshots, approvals
    def tracked_recommendations(self, *, customer_id: int) -> dict[tuple[str, str], RecommendationStatus]:
        return recommendations.tracked(self.session, customer_id=customer_id)

    def track_recommendation(self, *, customer_id: int, item: RecommendationInput) -> int:
        return recommendations.track(self.session, customer_id=customer_id, item=item)

    def set_recommendation_status(
        self, *, row_id: int, status: RecommendationStatus, decision_id: int | None
    ) -> None:
        recommendations.set_status(self.session, row_id=row_id, status=status, decision_id=decision_id)

    def save_snapshot(self, *, customer_id: int, day: date, snapshot: PoolSnapshot) -> None:
        snapshots.save(self.session, customer_id=customer_id, day=day, snapshot=snapshot)

    def save_run_input(self, *, run: records.RunRecord, rule_version: str | None, record: Evidence) -> None:
        run_inputs.save(self.session, run=run, rule_version=rule_version, record=record)

    def publish_input_of_day(self, *, customer_id: int, local_date: date) -> PublishInput | None:
        return run_inputs.publish_input_of_day(self.session, customer_id=customer_id, local_date=local_date)

    def propose(
        self, *, decision_id: int, request: ConsentRequest, recommendation_row_id: int | None, now: datetime
    ) -> None:
        approvals.propose(
            self.session,
            decision_id=decision_id,
            request=request,
            recommendation_row_id=recommendation_row_id,
            now=now,
        )

    def lock_approval(self, *, decision_id: int) -> records.ApprovalRecord | None:
        return approvals.lock(self.session, decision_id=decision_id)

    def decide_approval(
        self, *, decision_id: int, status: ApprovalStatus, actor: str, now: datetime, note: str | None
    ) -> None:
        approvals.decide(
            self.session, decision_id=decision_id, status=status, actor=actor, now=now, note=note
        )

    def settle_approval(
        self, *, decision_id: int, status: ApprovalStatus, now: datetime, result: dict[str, Any]
    ) -> None:
        approvals.settle(self.session, decision_id=decision_id, status=status, now=now, result=result)

    def approved_proposals(self, *, customer_id: int | None) -> list[int]:
        return approvals.approved(self.session, customer_id=customer_id)

    # notifications and health signals (issue 14)
    def describe_decision(self, *, decision_id: int) -> list[str]:
        return notifications.describe(self.session, decision_id=decision_id)

    def enqueue_notifications(self, *, items: Sequence[NewNotification]) -> int:
        return notifications.enqueue(self.session, items=items)

    def claim_notifications(self, *, now: datetime, limit: int, lease_s: float) -> list[Outgoing]:
        return notifications.claim(self.session, now=now, limit=limit, lease_s=lease_s)

    def renew_notification_lease(self, *, ids: Sequence[int], held_until: datetime, until: datetime) -> bool:
        return notifications.renew_lease(self.session, ids=ids, held_until=held_until, until=until)

    def mark_notifications_sent(self, *, ids: Sequence[int], now: datetime) -> None:
        notifications.mark_sent(self.session, ids=ids, now=now)

    def reschedule_notifications(
        self, *, ids: Sequence[int], at: datetime, error: str | None, give_back_attempt: bool
    ) -> None:
        notifications.reschedule(
            self.session, ids=ids, at=at, error=error, give_back_attempt=give_back_attempt
        )

    def give_up_notifications(self, *, ids: Sequence[int], error: str) -> None:
        notifications.give_up(self.session, ids=ids, error=error)

    def health_inputs(self, *, now: datetime) -> list[CustomerHealth]:
        return reports.health_inputs(self.session, now=now)

    def loop_costs(self, *, since: date) -> list[LoopCost]:
        return calls.loop_costs(self.session, since=since)

    def schedule_groups(self) -> list[ScheduleGroup]:
        return customers.schedule_groups(self.session)

    def open_health_signals(self) -> list[OpenSignal]:
        return health_signals.open_signals(self.session)

    def open_health_signal(self, *, customer_id: int, signal: str, detail: str, now: datetime) -> int | None:
        return health_signals.open_signal(
            self.session, customer_id=customer_id, signal=signal, detail=detail, now=now
        )

    def clear_health_signal(self, *, signal_id: int, now: datetime) -> bool:
        return health_signals.clear_signal(self.session, signal_id=signal_id, now=now)

    def record_heartbeat(self, *, tick: Tick, now: datetime) -> None:
        heartbeats.seen(self.session, name=tick, now=now)
