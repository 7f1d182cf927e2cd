"""Webhook events on the fakes: each type reaches its handler, job events end a job through the poller's own
path exactly once, review events set a status that never goes back, and any order of any set of deliveries
ends in the same state."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from agent.domain.evidence import ContentReview
from agent.domain.vocabulary import (
    Action,
    EventType,
    InboxOutcome,
    JobStatus,
    LoopName,
    Reason,
    WorkKind,
    WorkStatus,
)
from agent.loops import catalog, job_poller, webhook_events
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
    (clone,) = [w for (kind, _), w in deps.memory.work.items() if kind is WorkKind.CLONE]
    return clone


def the_job(deps: FakeDeps):
    (job,) = deps.memory.jobs.values()
    return job


def job_event(deps: FakeDeps, status: str = "completed", **data):
    job = the_job(deps)
    body = {"jobId": job.job_id, "kind": "content_clone_from_post", "status": status, **data}
    return f"job.{status}", body


def review_event(deps: FakeDeps, status: str = "approved", **data):
    body = {"id": the_clone(deps).container_id, "projectId": "prj_1", f"{status}By": "api_key_7", **data}
    return f"content.{status}", body


def deliver(deps: FakeDeps, type_and_data, *, event_id: str | None = None) -> InboxOutcome | None:
    """Store the event as the receiver would and process it as the worker would: its outcome, or None
    while it waits to be retried."""
    row_id = deps.memory.receive(*type_and_data, event_id=event_id)
    webhook_events.process(deps, row_id=row_id)
    return deps.memory.inbox[row_id].outcome


def review_decisions(deps: FakeDeps):
    reviews = (Reason.CONTENT_APPROVED, Reason.CONTENT_REJECTED)
    return [d for d in deps.memory.decisions.values() if d.reason in reviews]


def test_job_completed_ends_the_job_once_through_the_pollers_path():
    deps = submitted_clone()
    deps.client.finish_all()
    assert deliver(deps, job_event(deps)) is InboxOutcome.HANDLED
    job = the_job(deps)
    assert job.end is not None
    assert (job.end.status, job.end.approval_status, job.polls) == (JobStatus.COMPLETED, "pending", 1)
    assert the_clone(deps).status is WorkStatus.COMPLETED
    assert deps.memory.clone_approval[the_clone(deps).id] == "pending"  # read from the container
    deps.clock.advance(60)
    assert job_poller.poll_due(deps) == 0  # nothing left for the poller
    assert "get_job" not in deps.client.calls


def test_the_duration_layers_reports_is_the_jobs_duration():
    deps = submitted_clone()
    deps.client.finish_all()
    event = job_event(deps, startedAt="2026-11-28T18:00:00Z", finishedAt="2026-11-28T18:01:30Z")
    assert deliver(deps, event) is InboxOutcome.HANDLED
    assert the_job(deps).duration_s == 90.0


def test_job_failed_gives_the_slot_back_with_the_events_error():
    deps = submitted_clone()
    error = {"code": "SOURCE_UNAVAILABLE", "message": "The source post is gone."}
    assert deliver(deps, job_event(deps, "failed", error=error)) is InboxOutcome.HANDLED
    job = the_job(deps)
    assert (job.end.status, job.end.error_code, job.end.error_message) == (
        JobStatus.FAILED,
        "SOURCE_UNAVAILABLE",
        "The source post is gone.",
    )
    assert the_clone(deps).status is WorkStatus.FAILED
    assert the_clone(deps).spec.slot is None
    assert "get_content" not in deps.client.calls  # only a completed clone has a review status to read


def test_job_canceled_ends_the_work_canceled():
    deps = submitted_clone()
    assert deliver(deps, job_event(deps, "canceled")) is InboxOutcome.HANDLED
    assert the_clone(deps).status is WorkStatus.CANCELED


def test_a_second_event_about_an_ended_job_changes_nothing():
    deps = submitted_clone()
    deps.client.finish_all()
    assert deliver(deps, job_event(deps), event_id="evt_first") is InboxOutcome.HANDLED
    assert deliver(deps, job_event(deps), event_id="evt_replayed") is InboxOutcome.ALREADY_DONE
    assert deliver(deps, job_event(deps, "failed"), event_id="evt_contradicting") is InboxOutcome.ALREADY_DONE
    assert the_job(deps).polls == 1
    assert the_clone(deps).status is WorkStatus.COMPLETED


def test_a_redelivery_of_the_same_event_id_is_stored_once_and_handled_once():
    deps = submitted_clone()
    deps.client.finish_all()
    first = deps.memory.receive(*job_event(deps), event_id="evt_same")
    again = deps.memory.receive(*job_event(deps), event_id="evt_same")
    assert first == again
    assert webhook_events.process(deps) == 1
    assert webhook_events.process(deps) == 0
    assert the_job(deps).polls == 1


def test_a_job_the_agent_does_not_follow_waits_then_is_not_ours():
    deps = submitted_clone()
    row_id = deps.memory.receive("job.completed", {"jobId": "job_someone_else", "kind": "content_generate"})
    webhook_events.process(deps, row_id=row_id)
    row = deps.memory.inbox[row_id]
    assert row.processed_at is None  # maybe not recorded as submitted yet: tried again shortly
    assert webhook_events.process(deps) == 0  # not before its retry time
    deps.clock.advance(webhook_events.RETRY_WINDOW_S)
    assert webhook_events.process(deps) == 1
    assert row.outcome is InboxOutcome.NOT_OURS
    assert row.event.attempts == 2


def test_a_job_a_poller_holds_is_left_to_it_and_the_event_retried():
    deps = submitted_clone()
    deps.client.finish_all()
    deps.clock.advance(deps.settings.job_poll_initial_s)
    (due,) = claim_like_a_poller(deps)
    assert deliver(deps, job_event(deps)) is None  # held: not ended by the webhook
    job_poller.poll_one(deps, due)  # the poller ends it
    deps.clock.advance(webhook_events.RETRY_S + 1)
    webhook_events.process(deps)
    (row,) = deps.memory.inbox.values()
    assert row.outcome is InboxOutcome.ALREADY_DONE
    assert the_job(deps).polls == 1


def claim_like_a_poller(deps: FakeDeps):
    with deps.store() as store:
        return store.claim_due_jobs(now=deps.now(), limit=10, lease_s=job_poller.POLL_LEASE_S)


def test_content_approved_sets_the_status_and_records_a_follow_up_of_the_clone_decision():
    deps = submitted_clone()
    clone = the_clone(deps)
    assert deliver(deps, review_event(deps, approvedAt="2026-11-28T19:00:00Z")) is InboxOutcome.HANDLED
    assert deps.memory.clone_approval[clone.id] == "approved"
    (decision,) = review_decisions(deps)
    assert (decision.action, decision.reason, decision.parent_id) == (
        Action.APPROVE,
        Reason.CONTENT_APPROVED,
        clone.decision_id,
    )
    assert decision.actor == "layers:api_key_7"
    assert isinstance(decision.evidence, ContentReview)
    assert decision.evidence.container_id == clone.container_id
    assert decision.evidence.reviewed_at == "2026-11-28T19:00:00+00:00"


def test_content_rejected_keeps_the_customers_reason():
    deps = submitted_clone()
    assert deliver(deps, review_event(deps, "rejected", reason="Hook is off-brand.")) is InboxOutcome.HANDLED
    (decision,) = review_decisions(deps)
    assert (decision.action, decision.reason) == (Action.REJECT, Reason.CONTENT_REJECTED)
    assert decision.evidence.reason == "Hook is off-brand."
    assert deps.memory.clone_approval[the_clone(deps).id] == "rejected"


def test_a_review_of_a_container_the_agent_did_not_make_is_not_ours():
    deps = submitted_clone()
    event = ("content.approved", {"id": "cnt_not_ours", "projectId": "prj_1"})
    assert deliver(deps, event) is InboxOutcome.NOT_OURS
    assert review_decisions(deps) == []


def test_approval_before_the_job_completed_survives_a_stale_read_of_the_container():
    deps = submitted_clone()
    assert deliver(deps, review_event(deps)) is InboxOutcome.HANDLED
    deps.client.finish_all()  # the fake container still reads "pending": the read is older than the event
    assert deliver(deps, job_event(deps)) is InboxOutcome.HANDLED
    assert deps.memory.clone_approval[the_clone(deps).id] == "approved"
    assert the_clone(deps).status is WorkStatus.COMPLETED


@pytest.mark.parametrize(
    ("type_", "outcome"),
    [
        ("content.generated", InboxOutcome.NO_HANDLER),
        ("test.ping", InboxOutcome.NO_HANDLER),
        ("ads.optimizer.run.completed", InboxOutcome.UNKNOWN_TYPE),
        ("", InboxOutcome.UNKNOWN_TYPE),
    ],
)
def test_types_without_a_handler_are_kept_and_marked(type_, outcome):
    deps = submitted_clone()
    assert deliver(deps, (type_, {"scheduledPostId": "sp_1"})) is outcome
    assert the_clone(deps).status is WorkStatus.SUBMITTED


def test_every_handled_type_has_a_handler_and_every_handler_a_catalog_type():
    assert set(webhook_events.HANDLERS) == {
        EventType.JOB_COMPLETED,
        EventType.JOB_FAILED,
        EventType.JOB_CANCELED,
        EventType.CONTENT_APPROVED,
        EventType.CONTENT_REJECTED,
        EventType.POST_SCHEDULED,  # issue 15: tests/unit/loops/test_publishing.py
        EventType.POST_PUBLISHED,
        EventType.POST_FAILED,
        EventType.POST_CANCELED,
    }


def test_malformed_data_fails_the_event_with_the_field_named_and_nothing_changes():
    deps = submitted_clone()
    assert deliver(deps, ("job.completed", {"kind": "content_generate"})) is InboxOutcome.FAILED
    (row,) = deps.memory.inbox.values()
    assert row.error == "CONTRACT: webhook job.completed: field 'data.jobId' is required"
    assert the_clone(deps).status is WorkStatus.SUBMITTED


def test_a_handler_that_keeps_raising_is_retried_then_given_up(monkeypatch):
    deps = submitted_clone()

    def broken(deps, event):
        raise RuntimeError("database went away")

    monkeypatch.setitem(webhook_events.HANDLERS, EventType.TEST_PING, broken)
    row_id = deps.memory.receive("test.ping", {})
    for _ in range(webhook_events.MAX_ATTEMPTS):
        assert deps.memory.inbox[row_id].outcome is None
        deps.clock.advance(webhook_events.RETRY_S * webhook_events.MAX_ATTEMPTS)
        assert webhook_events.process(deps) == 1
    row = deps.memory.inbox[row_id]
    assert (row.outcome, row.event.attempts) == (InboxOutcome.FAILED, webhook_events.MAX_ATTEMPTS)
    assert row.error == "RuntimeError: database went away"


def test_processing_one_row_leaves_the_others_to_the_sweep():
    deps = submitted_clone()
    first = deps.memory.receive("test.ping", {})
    second = deps.memory.receive("content.generated", {})
    assert webhook_events.process(deps, row_id=second) == 1
    assert deps.memory.inbox[first].processed_at is None
    assert webhook_events.process(deps) == 1
    assert deps.memory.inbox[first].outcome is InboxOutcome.NO_HANDLER


def final_state(deps: FakeDeps):
    clone = the_clone(deps)
    job = the_job(deps)
    decisions = [(d.action, d.reason, d.parent_id) for d in review_decisions(deps)]
    return clone.status, deps.memory.clone_approval.get(clone.id), job.status, job.polls, decisions


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_any_order_of_duplicated_deliveries_ends_in_the_same_state(order):
    deps = submitted_clone()
    deps.client.finish_all()
    events = [
        (job_event(deps), "evt_done"),
        (job_event(deps), "evt_done"),  # the same event delivered twice
        (review_event(deps), "evt_ok"),
        (review_event(deps), "evt_ok_replayed"),  # a replay: the same review under a new event id
    ]
    for index in order:
        (type_and_data, event_id) = events[index]
        deliver(deps, type_and_data, event_id=event_id)
    assert final_state(deps) == (
        WorkStatus.COMPLETED,
        "approved",
        JobStatus.COMPLETED,
        1,
        [(Action.APPROVE, Reason.CONTENT_APPROVED, the_clone(deps).decision_id)],
    )
