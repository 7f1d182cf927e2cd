"""The job poller on the fakes: a job is followed to its end and the work takes that end."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.domain.vocabulary import Action, JobStatus, LoopName, Reason, WorkStatus
from agent.layers import errors
from agent.loops import catalog, job_poller
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ranking

START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def submitted_clone() -> FakeDeps:
    memory = Memory()
    customer = memory.add_customer(layers_project_id="prj_1", name="Acme Coffee", timezone="UTC")
    posts = ranking(("pp_hit", 900, 0.09), *((f"pp_{i}", 500, 0.02) for i in range(5)))
    deps = FakeDeps(fake_settings(), FakeLayers({"prj_1": FakeProject(top=posts)}), memory, Clock(START))
    catalog.run(deps, memory.add_run(customer, LoopName.PUBLISH_TO_LEARN, START.date()))
    return deps


def the_clone(deps: FakeDeps):
    (clone,) = deps.memory.work.values()
    return clone


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
    (job,) = deps.memory.jobs.values()
    assert job.end is not None
    assert (job.end.status, job.end.approval_status) == (JobStatus.COMPLETED, "pending")
    assert the_clone(deps).status is WorkStatus.COMPLETED


def test_a_failed_job_gives_the_slot_back():
    deps = submitted_clone()
    deps.client.finish_all("failed")
    deps.clock.advance(10)
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.FAILED
    assert the_clone(deps).spec.slot is None


def test_a_job_past_its_deadline_is_timed_out():
    deps = submitted_clone()
    deps.clock.advance(deps.settings.job_timeout_s + 1)
    job_poller.poll_due(deps)
    assert the_clone(deps).status is WorkStatus.TIMED_OUT


def test_a_malformed_answer_is_recorded_once_and_polling_goes_on():
    deps = submitted_clone()
    for _ in range(2):
        deps.client.fail_next = [errors.ContractError("GET /v1/jobs/{jobId}", "status")]
        deps.clock.advance(20)
        job_poller.poll_due(deps)
    malformed = [d for d in deps.memory.decisions.values() if d.reason is Reason.MALFORMED_RESPONSE]
    assert [(d.action, d.loop) for d in malformed] == [(Action.ERROR, LoopName.PUBLISH_TO_LEARN)]
    assert the_clone(deps).status is WorkStatus.SUBMITTED
