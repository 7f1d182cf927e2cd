"""Job timelines: monotonic progress, sticky terminal states, cooperative cancel, stalls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from agent.sandbox.clock import JobClock, ManualClock
from agent.sandbox.jobs import Job

T0 = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


def _job(outcome: str = "completed", seconds: float = 10) -> Job:
    return Job.create(
        job_id="01HX",
        kind="content_clone_from_post",
        project_id="p",
        container_ids=["c"],
        started_at=T0,
        start=T0,
        duration=timedelta(seconds=seconds),
        outcome=outcome,
        fail_at=0.6,
        error={"code": "X", "message": "boom"},
        publishes=[],
        source_post_id=None,
    )


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_stages_and_progress_are_monotonic_until_completed():
    job = _job()
    samples = [(job.status(_at(s)), job.stage(_at(s)), job.progress(_at(s))) for s in range(12)]
    assert samples[0] == ("running", "queued", 0.0)
    assert samples[1][1] == "generating_visuals"
    assert samples[9][1] == "finalizing"
    progresses = [p for _, _, p in samples]
    assert progresses == sorted(progresses)
    assert max(progresses[:10]) <= 0.99
    assert samples[10] == samples[11] == ("completed", "finalizing", 1.0)


def test_failure_happens_at_fail_at_and_is_sticky():
    job = _job("failed")
    assert job.status(_at(5.9)) == "running"
    assert job.status(_at(6)) == "failed"
    assert job.progress(_at(6)) == job.progress(_at(600)) == 0.6
    assert job.stage(_at(600)) == "generating_visuals"


def test_cancel_lands_at_the_next_stage_boundary():
    job = _job()
    assert job.request_cancel(_at(0.5)) == "accepted"
    assert job.status(_at(0.9)) == "running"
    assert job.status(_at(1.0)) == "canceled"
    assert job.request_cancel(_at(0.6)) == "already_requested"
    assert job.request_cancel(_at(2)) == "terminal"


def test_cancel_is_refused_while_finalizing_and_loses_to_an_earlier_failure():
    assert _job().request_cancel(_at(9)) == "refused"
    failing = _job("failed")
    assert failing.request_cancel(_at(3)) == "accepted"
    assert failing.status(_at(6)) == "failed"


def test_job_clock_stalls_and_maps_back_to_real_time():
    clock = ManualClock(T0)
    jobs = JobClock(clock)
    clock.advance(10)
    jobs.set_stalled(True)
    clock.advance(100)
    assert jobs.now() == _at(10)
    jobs.set_stalled(False)
    clock.advance(5)
    assert jobs.now() == _at(15)
    assert jobs.to_real(_at(10)) == _at(10)
    assert jobs.to_real(_at(12)) == _at(112)


@given(
    outcome=st.sampled_from(["completed", "failed", "canceled"]),
    seconds=st.floats(min_value=0.5, max_value=600),
    samples=st.lists(st.floats(min_value=0, max_value=1200), min_size=2, max_size=30),
    cancel_at=st.none() | st.floats(min_value=0, max_value=1200),
)
def test_progress_is_monotonic_and_terminal_states_are_sticky(outcome, seconds, samples, cancel_at):
    job = _job(outcome, seconds)
    if cancel_at is not None:
        job.request_cancel(_at(cancel_at))
    times = sorted(samples)
    progress = [job.progress(_at(t)) for t in times]
    assert progress == sorted(progress)
    assert all(0.0 <= p <= 1.0 for p in progress)
    statuses = [job.status(_at(t)) for t in times]
    first_terminal = next((i for i, s in enumerate(statuses) if s != "running"), len(statuses))
    assert set(statuses[first_terminal:]) <= {job.final_status}
