"""The optimization loop end to end on the fakes: flags, the pool, recommendations and the consent gate."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.domain.evidence import Triage
from agent.domain.vocabulary import (
    Action,
    ApprovalStatus,
    CloneOrigin,
    CustomerMode,
    LoopName,
    Reason,
    RecommendationStatus,
    SubjectType,
    WorkKind,
)
from agent.loops import catalog
from agent.loops.runner import Ended
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ad_row, ads_content, ranking, recommendation

PROJECT = "prj_dental"
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
VALUE_PROPS = "/v1/projects/prj_dental/value-propositions"


def dental(
    *, auto_approve: frozenset[str] = frozenset(), mode: CustomerMode = CustomerMode.ACTIVE
) -> FakeDeps:
    memory = Memory()
    memory.add_customer(
        layers_project_id=PROJECT,
        name="Bright Smile Dental",
        timezone="America/Chicago",
        auto_approve_kinds=auto_approve,
        mode=mode,
    )
    project = FakeProject(
        top=ranking(("pp_smile", 900, 0.08), titles={"pp_smile": "Whiter in a week"}),
        ads_content=[ads_content("adc_1"), ads_content("adc_2", eligible=False)],
        ads=[
            ad_row("ad_burpee", spend=87.5),
            ad_row("ad_quiet", spend=12.0),
            ad_row("ad_fatigued", spend=40.0, conversions=2, roas=0.6, content="adc_tired"),
        ],
        recommendations=[
            recommendation(
                "rec_refresh",
                "refresh_fatigued",
                0.82,
                subject=("ads_content", "adc_tired"),
                method="POST",
                endpoint="/v1/projects/prj_dental/content/clone-from-post",
                body={"sourcePlatformPostId": "pp_smile"},
            ),
            recommendation("rec_refresh_dupe", "refresh_fatigued", 0.6, subject=("ads_content", "adc_tired")),
            recommendation(
                "rec_vp",
                "value_propositions",
                0.75,
                subject=("project", PROJECT),
                method="PATCH",
                endpoint=VALUE_PROPS,
            ),
            recommendation(
                "rec_evil", "promote_winner", 0.88, method="POST", endpoint="https://evil.example/x"
            ),
        ],
    )
    return FakeDeps(fake_settings(), FakeLayers({PROJECT: project}), memory, Clock(START))


def run_today(deps: FakeDeps) -> Ended:
    customer = next(iter(deps.memory.customers.values()))
    return catalog.run(deps, deps.memory.add_run(customer, LoopName.OPTIMIZATION, START.date())).status


def outcomes(deps: FakeDeps) -> dict[str, tuple[Action, Reason]]:
    """What the run decided per subject (follow-ups of a proposal left out)."""
    return {
        d.subject.id: (d.action, d.reason)
        for d in deps.memory.decisions.values()
        if d.parent_id is None and d.subject.type is not SubjectType.CREATIVE_POOL
    }


def pool_decisions(deps: FakeDeps) -> list[tuple[Action, Reason]]:
    return [
        (d.action, d.reason)
        for d in deps.memory.decisions.values()
        if d.subject.type is SubjectType.CREATIVE_POOL
    ]


def test_a_day_of_optimization_flags_feeds_the_pool_and_triages_every_recommendation():
    deps = dental()
    assert run_today(deps) is Ended.SUCCEEDED
    decided = outcomes(deps)
    assert decided["ad_burpee"] == (Action.FLAG, Reason.SPEND_WITHOUT_CONVERSIONS)
    assert "ad_quiet" not in decided
    assert decided[PROJECT] == (Action.PENDING_APPROVAL, Reason.CHANGES_BRAND_CONFIGURATION)
    assert decided["adc_tired"] == (Action.ACT, Reason.REFRESH_FATIGUED)
    assert decided["adc_1"] == (Action.REFUSE, Reason.UNSAFE_SUGGESTED_ACTION)
    assert pool_decisions(deps) == [(Action.COMMISSION, Reason.THIN_CREATIVE_POOL)]
    kinds = sorted(item.kind for item in deps.memory.work.values())
    assert kinds == [WorkKind.CLONE, WorkKind.COMMISSION]
    (clone,) = [w for w in deps.memory.work.values() if w.kind is WorkKind.CLONE]
    assert (clone.spec.source_post_id, clone.spec.origin, clone.loop) == (
        "pp_smile",
        CloneOrigin.RECOMMENDATION,
        LoopName.OPTIMIZATION,
    )
    assert [kind for kind, *_ in deps.client.sent] == ["commission", "clone"]
    assert {key[1:]: status for key, (_, status) in deps.memory.recommendations.items()} == {
        ("refresh_fatigued", "adc_tired"): RecommendationStatus.ACTED_ON,
        ("value_propositions", PROJECT): RecommendationStatus.PENDING_APPROVAL,
        ("promote_winner", "adc_1"): RecommendationStatus.DISMISSED,
    }
    (approval,) = deps.memory.approvals.values()
    assert (approval.record.status, approval.record.path) == (ApprovalStatus.PENDING, VALUE_PROPS)
    assert snapshot_days(deps) == [START.date()]


def snapshot_days(deps: FakeDeps) -> list:
    return [day for _, day in deps.memory.snapshots]


def test_a_recommendation_handled_once_is_never_acted_on_again():
    deps = dental()
    run_today(deps)
    sent = list(deps.client.sent)
    customer = next(iter(deps.memory.customers.values()))
    deps.clock.advance(86_400)
    catalog.run(deps, deps.memory.add_run(customer, LoopName.OPTIMIZATION, deps.clock().date()))
    recs_again = [d for d in deps.memory.decisions.values() if d.subject.id == "adc_tired"]
    assert len(recs_again) == 1
    assert [s for s in deps.client.sent if s[0] == "clone"] == [s for s in sent if s[0] == "clone"]


def test_a_policy_approved_change_executes_once_within_the_run():
    deps = dental(auto_approve=frozenset({"value_propositions"}))
    run_today(deps)
    assert outcomes(deps)[PROJECT] == (Action.ACT, Reason.AUTO_APPROVED_BY_POLICY)
    assert ("PATCH", VALUE_PROPS, {}) in deps.client.sent
    (approval,) = deps.memory.approvals.values()
    assert approval.record.status is ApprovalStatus.EXECUTED
    followups = [(d.action, d.reason) for d in deps.memory.decisions.values() if d.parent_id is not None]
    assert followups == [(Action.EXECUTE, Reason.EXECUTED_AFTER_APPROVAL)]


def test_shadow_mode_records_what_it_would_do_and_executes_nothing():
    deps = dental(auto_approve=frozenset({"value_propositions"}), mode=CustomerMode.SHADOW)
    run_today(deps)
    assert outcomes(deps)["adc_tired"] == (Action.SHADOW_ACT, Reason.REFRESH_FATIGUED)
    assert pool_decisions(deps) == [(Action.SHADOW_COMMISSION, Reason.THIN_CREATIVE_POOL)]
    assert deps.client.sent == []
    (approval,) = deps.memory.approvals.values()
    assert approval.record.status is ApprovalStatus.APPROVED  # waits for the restraint to be lifted
    evidence = next(d.evidence for d in deps.memory.decisions.values() if d.subject.id == "adc_tired")
    assert isinstance(evidence, Triage)
    assert evidence.cross_check is not None
    assert evidence.cross_check.reason is Reason.ADS_RUNNING  # running ads: a refresh only adds creative
