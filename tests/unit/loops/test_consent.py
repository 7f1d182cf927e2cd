"""The consent gate on the fakes: approve executes once, reject never executes, a refused action is recorded,
and one bad proposal never stops the others (or the sweeper's resends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from agent.domain.decisions import ConsentRequest, NewDecision, Subject
from agent.domain.evidence import Triage
from agent.domain.vocabulary import (
    Action,
    ApprovalStatus,
    LoopName,
    Reason,
    RecommendationStatus,
    RunStatus,
    SubjectType,
)
from agent.layers import errors
from agent.loops import consent, scheduling
from agent.rules.recommendations import RecommendationInput, RecommendationView
from tests.support.fakes import Clock, FakeDeps, FakeLayers, Memory, MemoryStore, fake_settings

START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
PATH = "/v1/projects/prj_1/value-propositions"


def world() -> FakeDeps:
    memory = Memory()
    memory.add_customer(layers_project_id="prj_1", name="Acme Coffee", timezone="UTC")
    return FakeDeps(fake_settings(), FakeLayers(), memory, Clock(START))


def propose(deps: FakeDeps, *, method: str = "PATCH", path: str = PATH, auto_approved: bool = False) -> int:
    store = MemoryStore(deps.memory)
    evidence = Triage(0.8, 0.7, 0.5, "project", "prj_1", path, method, recommendation_id="rec_1")
    decision_id = store.record_decision(
        NewDecision(
            customer_id=1,
            loop=LoopName.OPTIMIZATION,
            action=Action.ACT if auto_approved else Action.PENDING_APPROVAL,
            reason=Reason.AUTO_APPROVED_BY_POLICY if auto_approved else Reason.CHANGES_BRAND_CONFIGURATION,
            subject=Subject(SubjectType.RECOMMENDATION, "prj_1"),
            evidence=evidence,
        )
    )
    row = store.track_recommendation(customer_id=1, item=_item())
    request = ConsentRequest("value_propositions", method, path, {"valuePropositions": ["x"]}, auto_approved)
    store.propose(decision_id=decision_id, request=request, recommendation_row_id=row, now=START)
    return decision_id


def _item() -> RecommendationInput:
    view = RecommendationView("rec_1", "value_propositions", 0.8, "project", "prj_1", PATH, "PATCH")
    return RecommendationInput(view, None, None, None)


def follow_ups(deps: FakeDeps, parent: int) -> list[tuple[Action, Reason, str]]:
    return [(d.action, d.reason, d.actor) for d in deps.memory.decisions.values() if d.parent_id == parent]


def test_approve_records_who_then_executes_once():
    deps = world()
    proposal = propose(deps)
    verdict = consent.approve(deps, proposal, actor="ops-alice", note="fine")
    assert verdict.status is ApprovalStatus.EXECUTED
    with pytest.raises(consent.ConsentError, match="already executed"):
        consent.approve(deps, proposal, actor="ops-alice")
    assert [s for s in deps.client.sent if s[0] == "PATCH"] == [("PATCH", PATH, {"valuePropositions": ["x"]})]
    assert follow_ups(deps, proposal) == [
        (Action.APPROVE, Reason.APPROVED_BY_CUSTOMER, "ops-alice"),
        (Action.EXECUTE, Reason.EXECUTED_AFTER_APPROVAL, "agent"),
    ]
    assert next(iter(deps.memory.recommendations.values()))[1] is RecommendationStatus.ACTED_ON


def test_rejected_never_executes():
    deps = world()
    proposal = propose(deps)
    consent.reject(deps, proposal, actor="ops-bob", note="not now")
    with pytest.raises(consent.ConsentError, match="already rejected"):
        consent.approve(deps, proposal, actor="ops-alice")
    assert deps.client.sent == []
    assert next(iter(deps.memory.recommendations.values()))[1] is RecommendationStatus.DISMISSED


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("HEAD", PATH),
        ("OPTIONS", PATH),
        ("PATCH", "/v1/projects/prj_1?x=1"),
        ("PATCH", "/v1/a:b"),
        ("PATCH", "/v1/@x"),
    ],
)
def test_an_approved_action_the_agent_never_sends_is_refused_and_recorded(method, path):
    deps = world()
    proposal = propose(deps, method=method, path=path, auto_approved=True)
    verdict = consent.execute(deps, proposal)
    assert verdict.status is ApprovalStatus.REFUSED
    assert deps.client.sent == []
    assert follow_ups(deps, proposal) == [(Action.REFUSE, Reason.UNSAFE_APPROVED_ACTION, "agent")]
    assert deps.memory.approvals[proposal].record.status is ApprovalStatus.REFUSED


def test_one_bad_proposal_does_not_stop_the_others():
    deps = world()
    bad = propose(deps, method="HEAD", auto_approved=True)
    failing = propose(deps, auto_approved=True)
    good = propose(deps, auto_approved=True)
    original = deps.client.call_relative
    calls = iter([errors.ValidationFailed("nope", status=422), None])

    def call(method, path, **kwargs):
        failure = next(calls)
        if failure is not None:
            raise failure
        return original(method, path, **kwargs)

    deps.client.call_relative = call
    assert consent.execute_approved(deps) == 1
    statuses = {d: deps.memory.approvals[d].record.status for d in (bad, failing, good)}
    assert statuses == {
        bad: ApprovalStatus.REFUSED,
        failing: ApprovalStatus.FAILED,
        good: ApprovalStatus.EXECUTED,
    }


def test_the_sweep_resends_a_lost_run_in_the_same_tick_as_a_refused_approval():
    deps = world()
    customer = deps.memory.customers[1]
    lost = deps.memory.add_run(customer, LoopName.PUBLISH_TO_LEARN, date(2026, 11, 28))
    MemoryStore(deps.memory).mark_runs_sent(run_ids=[lost], now=START - timedelta(hours=3))
    refused = propose(deps, method="HEAD", auto_approved=True)
    sent: list[int] = []
    assert scheduling.sweep_tick(deps, send=sent.append) == 1
    assert sent == [lost]
    assert deps.memory.runs[lost].record.status is RunStatus.QUEUED
    assert deps.memory.approvals[refused].record.status is ApprovalStatus.REFUSED
