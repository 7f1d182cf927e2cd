"""The job poller on the fakes: a job is followed to its end and the work takes that end; it is timed out
only by a poll after its deadline, still reconciled afterwards, first polled at the median duration of its
kind, and only a backstop while webhooks arrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import JobOutcome, NoEvidence
from agent.domain.records import JobEnd, NewClone
from agent.domain.vocabulary import (
    Action,
    CloneOrigin,
    JobStatus,
    LoopName,
    Reason,
    SubjectType,
    WorkKind,
    WorkStatus,
)
from agent.layers import errors
from agent.loops import job_endings, job_poller, submissions
from agent.rules.polling import MIN_SAMPLES
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, MemoryStore, fake_settings

START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def world(**settings: object) -> FakeDeps:
    memory = Memory()
    memory.add_customer(layers_project_id="prj_1", name="Acme Coffee", timezone="UTC")
    return FakeDeps(fake_settings(**settings), FakeLayers({"prj_1": FakeProject()}), memory, Clock(START))


def submit(deps: FakeDeps, source: str = "pp_hit") -> int:
    """A clone decided (its decision recorded), sent to Layers: its job is followed from now on."""
    store = MemoryStore(deps.memory)
    work = store.reserve_clone(
        NewClone(1, None, LoopName.PUBLISH_TO_LEARN, source, CloneOrigin.BREAKOUT, "fork", 2)
    )
    assert work is not None
    decision = store.record_decision(
        NewDecision(
            customer_id=1,
            loop=LoopName.PUBLISH_TO_LEARN,
            action=Action.CLONE,
            reason=Reason.BREAKOUT,
            subject=Subject(SubjectType.PLATFORM_POST, source),
            evidence=NoEvidence(),
            dedupe_key=f"clone:{source}",
        )
    )
    store.link_work_decision(kind=WorkKind.CLONE, work_id=work.id, decision_id=decision)
    submissions.send(deps, kind=WorkKind.CLONE, work_id=work.id)
    return work.id


def submitted_clone(**settings: object) -> FakeDeps:
    deps = world(**settings)
    submit(deps)
    return deps


def the_clone(deps: FakeDeps):
    (clone,) = deps.memory.work.values()
    return clone


def the_job(deps: FakeDeps):
    (job,) = deps.memory.jobs.values()
    return job


def job_decisions(deps: FakeDeps) -> list[tuple[int, NewDecision]]:
    return [(i, d) for i, d in deps.memory.decisions.items() if d.subject.type is SubjectType.JOB]


def polls(deps: FakeDeps) -> int:
    return deps.client.calls.count("get_job")


def test_nothing_is_polled_before_it_is_due_and_a_running_job_is_polled_again_later():
    deps = submitted_clone()
    assert job_poller.poll_due(deps) == 0
    deps.clock.advance(deps.settings.job_poll_initial_s)
    assert job_poller.poll_due(deps) == 1
    assert job_poller.poll_due(deps) == 0  # backed off
    assert the_clone(deps).status is WorkStatus.SUBMITTED


def test_a_completed_job_completes_its_clone_with_the_containers_approval_status():
    deps = submitted_clone()
    deps.client.finish_all()
    deps.clock.advance(10)
    job_poller.poll_due(deps)
    job = the_job(deps)
    assert job.end is not None
    assert (job.end.status, job.end.approval_status) == (JobStatus.COMPLETED, "pending")
    assert the_clone(deps).status is WorkStatus.COMPLETED
    assert job_decisions(deps) == []  # an ordinary end is the work's status, not a decision


def test_a_failed_job_gives_the_slot_back():
    deps = submitted_clone()
    deps.client.finish_all("failed")
    deps.clock.advance(10)
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.FAILED
    assert the_clone(deps).spec.slot is None


def test_a_job_past_its_deadline_is_timed_out_by_a_poll_that_still_finds_it_running():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    job_poller.poll_due(deps)
    assert polls(deps) == 1
    assert the_clone(deps).status is WorkStatus.TIMED_OUT
    assert the_clone(deps).spec.slot == 1  # it may exist at Layers: it keeps its slot
    ((_, decision),) = job_decisions(deps)
    assert (decision.action, decision.reason) == (Action.ERROR, Reason.JOB_TIMED_OUT)
    assert isinstance(decision.evidence, JobOutcome)
    assert decision.evidence.status == "timed_out"
    clone_decision = deps.memory.dedupe["clone:pp_hit"]
    assert decision.parent_id == clone_decision


def test_a_job_that_finished_before_the_late_poll_is_not_timed_out():
    """The deadline passed while no poll was made (a starved poller): the first poll decides, not the clock."""
    deps = submitted_clone()
    deps.client.finish_all()
    deps.clock.advance(deps.settings.job_timeout_s * 3)
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.COMPLETED
    assert job_decisions(deps) == []


def test_a_poll_after_the_deadline_that_fails_does_not_time_the_job_out():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    deps.client.fail_next = [errors.ServerError("boom", status=503)]
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.SUBMITTED
    assert the_job(deps).status is JobStatus.RUNNING
    deps.clock.advance(deps.settings.job_poll_max_s + 1)
    job_poller.poll_due(deps)  # the next poll answers: still running, after the deadline
    assert the_clone(deps).status is WorkStatus.TIMED_OUT


def test_the_deadline_is_polled_on_time_even_when_the_backoff_would_step_over_it():
    deps = submitted_clone(job_timeout_s=15)
    for _ in range(20):
        deps.clock.advance(1)
        job_poller.poll_due(deps)
        if the_job(deps).status is JobStatus.TIMED_OUT:
            break
    assert deps.clock() - START <= timedelta(seconds=16)
    assert the_job(deps).status is JobStatus.TIMED_OUT


def test_a_timed_out_job_that_later_completes_becomes_completed_and_keeps_its_slot():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    job_poller.poll_due(deps)
    deps.clock.advance(deps.settings.job_reconcile_interval_s - 1)
    assert job_poller.poll_due(deps) == 0  # reconciled at a low rate, not at the polling rate
    deps.clock.advance(1)
    assert job_poller.poll_due(deps) == 1
    assert the_clone(deps).status is WorkStatus.TIMED_OUT  # still running at Layers
    deps.client.finish_all()
    deps.clock.advance(deps.settings.job_reconcile_interval_s + 1)  # plus the jitter
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.COMPLETED
    assert the_clone(deps).spec.slot == 1
    assert the_job(deps).status is JobStatus.COMPLETED
    (timeout_id, timeout), (_, reconciled) = job_decisions(deps)
    assert (timeout.reason, reconciled.reason) == (Reason.JOB_TIMED_OUT, Reason.JOB_RECONCILED)
    assert reconciled.parent_id == timeout_id  # the record shows both, the later one linked to the first
    assert isinstance(reconciled.evidence, JobOutcome)
    assert (reconciled.evidence.status, reconciled.evidence.previous_status) == ("completed", "timed_out")


def test_a_timed_out_job_that_later_fails_gives_its_slot_back():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    job_poller.poll_due(deps)
    deps.client.finish_all("failed")
    deps.clock.advance(deps.settings.job_reconcile_interval_s)
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.FAILED
    assert the_clone(deps).spec.slot is None


def test_reconciliation_stops_after_its_window():
    deps = submitted_clone(job_reconcile_for_s=900, job_reconcile_interval_s=300)
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    job_poller.poll_due(deps)
    for _ in range(6):
        deps.clock.advance(301)  # the interval plus its jitter
        job_poller.poll_due(deps)
    assert polls(deps) == 1 + 2  # the timeout's poll, then one every 300 s (and jitter) within 900 s
    assert the_job(deps).status is JobStatus.TIMED_OUT


def test_an_end_is_recorded_once_when_a_webhook_and_a_poll_both_see_it():
    deps = submitted_clone()
    deps.client.finish_all()
    deps.clock.advance(10)
    (due,) = MemoryStore(deps.memory).claim_due_jobs(now=deps.clock(), limit=1, lease_s=60)
    job_endings.record_end(deps, due, JobEnd(JobStatus.COMPLETED, deps.clock()))
    job_endings.record_end(deps, due, JobEnd(JobStatus.FAILED, deps.clock()))
    assert the_clone(deps).status is WorkStatus.COMPLETED


def test_the_first_poll_waits_for_the_median_duration_of_recent_jobs_of_its_kind():
    deps = world()
    durations = (30, 42, 35, 500)[: MIN_SAMPLES + 1]  # one slow outlier: the median ignores it
    for n in range(len(durations)):
        submit(deps, source=f"pp_{n}")
    for job, seconds in zip(deps.memory.jobs.values(), durations, strict=True):
        job.status, job.duration_s = JobStatus.COMPLETED, float(seconds)
        job.end = JobEnd(JobStatus.COMPLETED, START)
    submit(deps, source="pp_new")
    new = max(deps.memory.jobs.values(), key=lambda j: j.id)
    assert new.next_poll_at - START == timedelta(seconds=(35 + 42) / 2)  # the median, not 2 s
    deps.client.finish_all()
    deps.clock.advance((35 + 42) / 2)
    job_poller.poll_due(deps)
    assert new.status is JobStatus.COMPLETED
    assert polls(deps) == 1  # a job that takes the usual time costs one poll


def test_after_the_first_poll_the_docs_backoff_follows():
    deps = world(job_poll_initial_s=2.0, job_poll_multiplier=1.3, job_poll_max_s=10.0)
    submit(deps)
    intervals = []
    for _ in range(9):
        job = the_job(deps)
        deps.clock.at = job.next_poll_at
        job_poller.poll_due(deps)
        intervals.append(round(job.interval_s, 2))
    assert intervals == [2.0, 2.6, 3.38, 4.39, 5.71, 7.43, 9.65, 10.0, 10.0]


def test_with_webhooks_arriving_polls_are_only_a_backstop():
    deps = world(job_backstop_poll_s=120, webhook_fresh_s=600)
    deps.memory.last_webhook_at = START - timedelta(seconds=30)
    work_id = submit(deps)
    job = the_job(deps)
    assert job.next_poll_at - START == timedelta(seconds=2 + 120)
    deps.clock.advance(60)
    assert job_poller.poll_due(deps) == 0
    # The webhook ends the job first: not one poll was made.
    (due,) = MemoryStore(deps.memory).claim_due_jobs(now=job.next_poll_at, limit=1, lease_s=60)
    job_endings.record_end(deps, due, JobEnd(JobStatus.COMPLETED, deps.clock()))
    deps.clock.advance(600)
    job_poller.poll_due(deps)
    assert polls(deps) == 0
    assert deps.memory.work[(WorkKind.CLONE, work_id)].status is WorkStatus.COMPLETED


def test_with_webhooks_arriving_a_missed_webhook_is_caught_by_the_backstop_before_the_deadline():
    deps = world(job_backstop_poll_s=120, webhook_fresh_s=600)
    deps.memory.last_webhook_at = START
    submit(deps)
    deps.client.finish_all()  # its webhook never comes
    deps.clock.advance(2 + 120)
    deps.memory.last_webhook_at = deps.clock()
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.COMPLETED
    assert polls(deps) == 1


def test_stale_webhooks_are_not_relied_on():
    deps = world(job_backstop_poll_s=120, webhook_fresh_s=600)
    deps.memory.last_webhook_at = START - timedelta(seconds=601)
    submit(deps)
    assert the_job(deps).next_poll_at - START == timedelta(seconds=deps.settings.job_poll_initial_s)


def test_a_poll_refused_by_the_quota_is_not_a_poll_and_comes_back_after_the_wait():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    deps.client.fail_next = [errors.QuotaExhausted("read-light", 3.0)]
    job_poller.poll_due(deps)
    job = the_job(deps)
    assert (job.status, job.polls) == (JobStatus.RUNNING, 0)  # no poll was made: no timeout either
    assert job.next_poll_at == deps.clock() + timedelta(seconds=3)


def test_a_claimed_batch_is_polled_on_several_threads():
    deps = world(poller_threads=4)
    for n in range(10):
        submit(deps, source=f"pp_{n}")
    deps.client.finish_all()
    deps.clock.advance(10)
    assert job_poller.poll_due(deps) == 10
    assert {w.status for w in deps.memory.work.values()} == {WorkStatus.COMPLETED}


def test_a_tick_claims_what_the_polls_share_can_poll_within_the_lease():
    assert job_poller.claim_size(fake_settings(rate_read_per_min=120, job_poll_read_share=0.2)) == 12
    assert job_poller.claim_size(fake_settings(rate_read_per_min=6000, job_poll_read_share=0.2)) == 100
    assert job_poller.claim_size(fake_settings(rate_read_per_min=6000, poller_batch_size=500)) == 500
    assert job_poller.claim_size(fake_settings(rate_read_per_min=10, job_poll_read_share=0.1)) == 1


def test_a_malformed_answer_is_recorded_once_and_polling_goes_on():
    deps = submitted_clone()
    for _ in range(2):
        deps.client.fail_next = [errors.ContractError("GET /v1/jobs/{jobId}", "status")]
        deps.clock.advance(20)
        job_poller.poll_due(deps)
    malformed = [d for d in deps.memory.decisions.values() if d.reason is Reason.MALFORMED_RESPONSE]
    assert [(d.action, d.loop) for d in malformed] == [(Action.ERROR, LoopName.PUBLISH_TO_LEARN)]
    assert the_clone(deps).status is WorkStatus.SUBMITTED
