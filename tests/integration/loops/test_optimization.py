"""The optimization loop on the demo scenario: flags, a fed creative pool, recommendations, consent."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from agent.loops import consent
from agent.store import customers
from agent.store.models import Approval, Clone, Commission, Decision, Recommendation
from tests.support.running import follow_jobs, run_today

DENTAL = "Bright Smile Dental"
PROJECT_8 = "prj_00000008-0000-4000-8000-000000000000"


def decisions_of(services, name, loop="optimization"):
    with services.db.session() as session:
        customer_id = customers.find(session, ref=name).id
        return list(
            session.scalars(
                select(Decision)
                .where(Decision.customer_id == customer_id, Decision.loop == loop)
                .order_by(Decision.id)
            )
        )


def rec_decisions(services, name=DENTAL):
    return {
        d.evidence.get("recommendation_id"): d
        for d in decisions_of(services, name)
        if d.subject_type == "recommendation"
    }


def test_ads_spending_without_conversions_are_flagged_never_paused(services, sandbox):
    assert run_today(services, "Northwind Fitness", "optimization").status == "succeeded"
    flags = [d for d in decisions_of(services, "Northwind Fitness") if d.action == "flag"]
    assert [(d.subject_id, d.reason) for d in flags] == [
        ("nw_ad_burpee_challenge", "spend_without_conversions")
    ]
    (flag,) = flags
    assert flag.evidence["spend"] > 50
    assert flag.evidence["conversions"] == 0
    assert {"impressions", "window_since", "window_until"} <= set(flag.evidence)
    assert not [e for e in sandbox[0].witness.applied() if e.method == "PATCH"]


def test_a_thin_pool_is_commissioned_once_across_consecutive_days(services, sandbox, clock):
    assert run_today(services, "Pixel Pets", "optimization").status == "succeeded"
    (pool,) = [d for d in decisions_of(services, "Pixel Pets") if d.subject_type == "creative_pool"]
    assert (pool.action, pool.reason) == ("commission", "thin_creative_pool")
    assert pool.evidence["hook"] == "Cat vs. laser pointer: the rematch"
    with services.db.session() as session:
        commission = session.scalars(select(Commission)).one()
        assert (commission.status, commission.variant_count) == ("submitted", 2)
    follow_jobs(services, clock, seconds=60)
    for _ in range(3):
        clock.advance(timedelta(days=1).total_seconds())
        run_today(services, "Pixel Pets", "optimization")
    reasons = [d.reason for d in decisions_of(services, "Pixel Pets") if d.subject_type == "creative_pool"]
    assert reasons == [
        "thin_creative_pool",
        "commission_cooldown",
        "commission_cooldown",
        "commission_cooldown",
    ]
    assert sandbox[0].witness.count_applied("generate") == 1
    with services.db.session() as session:
        assert session.scalars(select(Commission)).one().status == "completed"


def test_each_recommendation_is_handled_once_with_the_right_action(services, sandbox, clock):
    run_today(services, DENTAL, "optimization")
    handled = rec_decisions(services)
    rec = lambda n: f"rec_00000008-000{n}-4000-8000-000000000000"  # noqa: E731
    assert (handled[rec(1)].action, handled[rec(1)].reason) == ("act", "refresh_fatigued")
    assert rec(2) not in handled  # the 0.60 duplicate of the same (kind, subject) is deduped
    assert (handled[rec(3)].action, handled[rec(3)].reason) == (
        "pending_approval",
        "changes_brand_configuration",
    )
    assert (handled[rec(4)].action, handled[rec(4)].reason) == ("surface", "low_confidence")
    assert (handled[rec(5)].action, handled[rec(5)].reason) == ("surface", "unknown_kind")
    assert (handled[rec(6)].action, handled[rec(6)].reason) == ("refuse", "unsafe_suggested_action")
    assert rec(7) not in handled  # dismissed at Layers: not open
    with services.db.session() as session:
        clone = session.scalars(select(Clone).where(Clone.origin == "recommendation")).one()
        assert clone.source_post_id == "pp_00000008-0001-4000-8000-000000000000"
        statuses = dict(
            session.execute(select(Recommendation.recommendation_id, Recommendation.local_status))
            .tuples()
            .all()
        )
    assert statuses[rec(1)] == "acted_on"
    assert statuses[rec(3)] == "pending_approval"
    assert statuses[rec(6)] == "dismissed"
    # The next day the same open recommendations come back; none is handled again.
    clock.advance(timedelta(days=1).total_seconds())
    run_today(services, DENTAL, "optimization")
    assert len(rec_decisions(services)) == len(handled)
    assert (
        sandbox[0].witness.count_applied("clone", source_post_id="pp_00000008-0001-4000-8000-000000000000")
        == 1
    )


def test_value_propositions_wait_for_approval_then_execute_exactly_once(services, sandbox):
    run_today(services, DENTAL, "optimization")
    proposal = next(d for d in rec_decisions(services).values() if d.action == "pending_approval")
    patches = lambda: [e for e in sandbox[0].witness.applied() if e.method == "PATCH"]  # noqa: E731
    assert patches() == []
    verdict = consent.approve(services, proposal.id, actor="ops:dana", note="customer said yes")
    assert verdict.status == "executed"
    assert len(patches()) == 1
    with pytest.raises(consent.ConsentError, match="already executed"):
        consent.approve(services, proposal.id, actor="ops:dana")
    assert len(patches()) == 1
    followups = [d for d in decisions_of(services, DENTAL) if d.parent_id == proposal.id]
    assert [(d.action, d.actor) for d in followups] == [("approve", "ops:dana"), ("execute", "agent")]
    with services.db.session() as session:
        approval = session.get(Approval, proposal.id)
        assert (approval.status, approval.decided_by) == ("executed", "ops:dana")
        assert approval.decided_at is not None
        assert approval.executed_at is not None


def test_a_rejected_proposal_never_executes(services, sandbox):
    run_today(services, DENTAL, "optimization")
    proposal = next(d for d in rec_decisions(services).values() if d.action == "pending_approval")
    consent.reject(services, proposal.id, actor="ops:dana", note="not now")
    with pytest.raises(consent.ConsentError, match="already rejected"):
        consent.approve(services, proposal.id, actor="ops:dana")
    assert [e for e in sandbox[0].witness.applied() if e.method == "PATCH"] == []


def test_a_policy_may_allow_a_kind_to_execute_without_asking(services, sandbox):
    with services.db.session() as session:
        customers.find(session, ref=DENTAL).auto_approve_kinds = ["value_propositions"]
    run_today(services, DENTAL, "optimization")
    handled = rec_decisions(services)
    assert handled["rec_00000008-0003-4000-8000-000000000000"].action == "act"
    assert len([e for e in sandbox[0].witness.applied() if e.method == "PATCH"]) == 1


def test_a_post_excluded_by_override_is_never_the_hook_of_a_commission(services):
    run_today(services, "Acme Coffee", "optimization")
    (pool,) = [d for d in decisions_of(services, "Acme Coffee") if d.subject_type == "creative_pool"]
    assert pool.action == "commission"
    assert pool.evidence["hook_source_post_id"] != "pp_00000003-0010-4000-8000-000000000000"
    assert pool.evidence["hook"] == "Skip the line: order ahead in 3 taps"
