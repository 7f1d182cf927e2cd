"""publish-to-learn end to end on the fakes: fetch, decide, record, send, follow; restraint; failures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.domain.evidence import PostVerdict
from agent.domain.vocabulary import Action, CustomerMode, LoopName, Reason, RunStatus, WorkStatus
from agent.layers import errors
from agent.loops import catalog, job_poller
from agent.loops.runner import Ended
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ranking

PROJECT = "prj_acme"
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
# Five ordinary posts set the median at 0.02; "latte" at 0.09 is a breakout, "cold" at 0.03 is not.
POSTS = ranking(
    ("pp_latte", 4210, 0.09),
    ("pp_cold", 1830, 0.03),
    *((f"pp_{i}", 500, 0.02) for i in range(5)),
    titles={"pp_latte": "Latte art in 15 seconds"},
)


def world(*, mode: CustomerMode = CustomerMode.ACTIVE, enabled: bool = True, **settings: object) -> FakeDeps:
    memory = Memory()
    memory.add_customer(
        layers_project_id=PROJECT, name="Acme Coffee", timezone="America/New_York", mode=mode, enabled=enabled
    )
    client = FakeLayers({PROJECT: FakeProject(top=POSTS)})
    return FakeDeps(fake_settings(**settings), client, memory, Clock(START))


def run_today(deps: FakeDeps, loop: LoopName = LoopName.PUBLISH_TO_LEARN) -> tuple[int, Ended]:
    customer = next(iter(deps.memory.customers.values()))
    run_id = deps.memory.add_run(customer, loop, START.date())
    return run_id, catalog.run(deps, run_id).status


def decided(deps: FakeDeps) -> dict[str, tuple[Action, Reason]]:
    return {d.subject.id: (d.action, d.reason) for d in deps.memory.decisions.values()}


def test_a_breakout_is_cloned_once_with_its_minted_ids_and_followed_to_the_end():
    deps = world()
    run_id, status = run_today(deps)
    assert status is Ended.SUCCEEDED
    assert decided(deps)["pp_latte"] == (Action.CLONE, Reason.BREAKOUT)
    assert decided(deps)["pp_cold"] == (Action.SKIP, Reason.NOT_BREAKOUT)
    assert decided(deps)[PROJECT] == (Action.SUMMARY, Reason.DAILY_SUMMARY)
    (clone,) = deps.memory.work.values()
    assert (clone.status, clone.run_id) == (WorkStatus.SUBMITTED, run_id)
    assert deps.client.sent == [
        (
            "clone",
            clone.container_id,
            {"projectId": PROJECT, "sourcePlatformPostId": "pp_latte", "mode": "fork", "variations": 2},
        )
    ]
    verdict = deps.memory.decisions[clone.decision_id].evidence
    assert isinstance(verdict, PostVerdict)
    assert (verdict.container_id, verdict.clone_slot, verdict.clone_number) == (clone.container_id, 1, 1)

    deps.client.finish_all()
    deps.clock.advance(deps.settings.job_poll_initial_s)
    assert job_poller.poll_due(deps) == 1
    (clone,) = deps.memory.work.values()
    assert clone.status is WorkStatus.COMPLETED
    assert deps.memory.runs[run_id].record.status is RunStatus.SUCCEEDED


def test_the_same_run_again_decides_and_sends_nothing_new():
    deps = world()
    run_id, _ = run_today(deps)
    before = dict(deps.memory.decisions)
    assert catalog.run(deps, run_id).status is Ended.NOT_CLAIMED
    assert deps.memory.decisions == before
    assert len(deps.client.sent) == 1


def test_a_send_cut_short_is_resent_with_the_same_ids_and_applied_once(monkeypatch):
    deps = world()
    applied = deps.client.clone_from_post

    def answer_lost(*args, **kwargs):  # Layers applied the clone, but its answer never arrived
        applied(*args, **kwargs)
        raise errors.LayersTimeout("clone-from-post timed out")

    monkeypatch.setattr(deps.client, "clone_from_post", answer_lost)
    run_id, status = run_today(deps)
    assert status is Ended.QUEUED
    monkeypatch.setattr(deps.client, "clone_from_post", applied)
    assert catalog.run(deps, run_id).status is Ended.SUCCEEDED
    assert len(deps.client.sent) == 1  # replayed by container id, never a second clone
    assert deps.client.calls.count("top_performers") == 1  # planned once: the resume only sends


@pytest.mark.parametrize(
    ("deps", "expected"),
    [
        pytest.param(world(kill_switch=True), (Action.SKIP, Reason.KILL_SWITCH), id="kill-switch"),
        pytest.param(world(mode=CustomerMode.SHADOW), (Action.SHADOW_CLONE, Reason.BREAKOUT), id="shadow"),
    ],
)
def test_restraint_decides_and_records_but_sends_nothing(deps, expected):
    assert run_today(deps)[1] is Ended.SUCCEEDED
    assert decided(deps)["pp_latte"] == expected
    assert deps.memory.work == {}
    assert deps.client.sent == []


def test_a_paused_customer_records_why_and_calls_nothing():
    deps = world(enabled=False)
    assert run_today(deps)[1] is Ended.SUCCEEDED
    assert list(decided(deps).values()) == [(Action.SKIP, Reason.CUSTOMER_PAUSED)]
    assert deps.client.calls == []


def test_a_busy_layers_defers_the_run_and_a_quota_wait_gives_the_attempt_back():
    deps = world()
    deps.client.fail_next = [errors.QuotaExhausted("read-light", 12.5)]
    run_id, status = run_today(deps)
    assert status is Ended.QUEUED
    assert deps.memory.runs[run_id].record.attempts == 0
    deps.client.fail_next = [errors.ServerError("boom", status=503)]
    catalog.run(deps, run_id)
    assert deps.memory.runs[run_id].record.attempts == 1
    assert deps.memory.decisions == {}


def test_a_revoked_key_fails_the_run_and_records_why():
    deps = world()
    deps.client.fail_next = [errors.Unauthenticated("key revoked", status=401)]
    run_id, status = run_today(deps)
    assert status is Ended.FAILED
    assert list(decided(deps).values()) == [(Action.ERROR, Reason.LAYERS_ACCESS_DENIED)]
    assert deps.memory.runs[run_id].record.status is RunStatus.FAILED


def test_a_clone_layers_refuses_gives_its_slot_back_and_says_why(monkeypatch):
    deps = world()

    def refuse(*args, **kwargs):
        raise errors.ValidationFailed("source post is private", status=422, code="VALIDATION")

    monkeypatch.setattr(deps.client, "clone_from_post", refuse)
    assert run_today(deps)[1] is Ended.SUCCEEDED
    (clone,) = deps.memory.work.values()
    assert clone.status is WorkStatus.FAILED
    assert clone.spec.slot is None
    rejected = [d for d in deps.memory.decisions.values() if d.reason is Reason.CLONE_REJECTED]
    assert [(d.action, d.parent_id) for d in rejected] == [(Action.ERROR, clone.decision_id)]
