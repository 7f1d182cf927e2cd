"""publish-to-learn on the demo scenario: each customer gets the decisions expected of it."""

import threading

import pytest
from sqlalchemy import select

from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import Reason
from agent.rules.publish import evaluate_publish, replay_posts
from agent.rules.thresholds import Thresholds
from agent.store import customers
from agent.store.models import Clone, Job, RunInput
from tests.support.demo import ACME_BREAKOUT, ACME_EXCLUDED, LAUNDRY_BREAKOUT, QUIET_TOP
from tests.support.running import (
    by_subject,
    decisions_of,
    follow_jobs,
    new_clones,
    run_today,
    runs_by_loop,
)


def test_a_customer_with_no_data_is_skipped_not_failed(services):
    assert run_today(services, "Fresh Start Bakery").status == "succeeded"
    (summary,) = decisions_of(services, "Fresh Start Bakery")
    assert (summary.action, summary.reason) == ("skip", "no_performance_data")
    assert summary.rule_version.startswith("ptl-v1+")


def test_too_few_posts_with_views_is_insufficient_data(services):
    run_today(services, "Tiny Steps Yoga")
    (summary,) = decisions_of(services, "Tiny Steps Yoga")
    assert (summary.action, summary.reason) == ("skip", "insufficient_data")
    assert summary.evidence["posts_eligible"] == 4


def test_a_clear_breakout_is_cloned_followed_and_held_for_approval(services, sandbox, clock):
    sb, _ = sandbox
    assert run_today(services, "Acme Coffee").status == "succeeded"
    decided = by_subject(decisions_of(services, "Acme Coffee"))
    clone_decision = decided[ACME_BREAKOUT]
    assert (clone_decision.action, clone_decision.reason) == ("clone", "breakout")
    assert clone_decision.evidence["engagement_rate"] > 2 * clone_decision.evidence["median_engagement_rate"]
    assert clone_decision.evidence["clone_number"] == 1
    summary = decided["prj_00000003-0000-4000-8000-000000000000"]
    assert summary.reason == "daily_summary"
    assert len(summary.evidence["top"]) == 3
    excluded = decided[ACME_EXCLUDED]
    assert (excluded.action, excluded.reason) == ("skip", "excluded_by_override")
    others = [
        d
        for d in decided.values()
        if d.subject_type == "platform_post" and d.subject_id not in (ACME_BREAKOUT, ACME_EXCLUDED)
    ]
    assert others
    assert all(d.reason == "not_breakout" for d in others)

    with services.db.session() as session:
        clone = session.scalars(select(Clone).where(Clone.origin != "prior")).one()
        assert (clone.status, clone.source_post_id, clone.mode, clone.variations) == (
            "submitted",
            ACME_BREAKOUT,
            "fork",
            2,
        )
        assert clone.decision_id == clone_decision.id
    follow_jobs(services, clock)
    with services.db.session() as session:
        clone = session.scalars(select(Clone).where(Clone.origin != "prior")).one()
        job = session.scalars(select(Job)).one()
    assert clone.status == "completed"
    assert clone.approval_status == "pending"
    assert job.status == "completed"
    assert len(sb.witness.applied_clones(container_id=clone.container_id)) == 1


def test_a_breakout_under_the_engagement_floor_is_not_cloned(services):
    run_today(services, "Quiet Pages Books")
    decided = by_subject(decisions_of(services, "Quiet Pages Books"))
    assert (decided[QUIET_TOP].action, decided[QUIET_TOP].reason) == ("skip", "below_engagement_floor")
    assert new_clones(services) == 0


def test_a_source_with_five_clones_is_not_cloned_again(services, sandbox):
    run_today(services, "Loop Laundry")
    decided = by_subject(decisions_of(services, "Loop Laundry"))
    assert (decided[LAUNDRY_BREAKOUT].action, decided[LAUNDRY_BREAKOUT].reason) == (
        "skip",
        "clone_cap_reached",
    )
    assert decided[LAUNDRY_BREAKOUT].evidence["clone_count"] == 5
    assert sandbox[0].witness.count_applied("clone") == 0


def test_running_the_same_day_again_changes_nothing(services, sandbox):
    run_today(services, "Acme Coffee")
    before = [(d.id, d.action, d.reason) for d in decisions_of(services, "Acme Coffee")]
    again = run_today(services, "Acme Coffee")
    assert again.status == "not_claimed"
    assert [(d.id, d.action, d.reason) for d in decisions_of(services, "Acme Coffee")] == before
    assert runs_by_loop(services) == {"publish_to_learn": 1, "optimization": 1}  # and its hand-off, once
    assert new_clones(services) == 1
    assert sandbox[0].witness.count_applied("clone") == 1


def test_two_concurrent_runs_for_one_customer_end_as_one_run_and_one_clone(services, sandbox):
    outcomes, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        outcomes.append(run_today(services, "Acme Coffee").status)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["not_claimed", "succeeded"]
    assert runs_by_loop(services) == {"publish_to_learn": 1, "optimization": 1}  # and its hand-off, once
    assert new_clones(services) == 1
    assert sandbox[0].witness.count_applied("clone") == 1


@pytest.mark.parametrize("settings_overrides", [{"kill_switch": True}], indirect=True)
def test_the_kill_switch_decides_and_records_but_sends_nothing(services, sandbox):
    run_today(services, "Acme Coffee")
    decided = by_subject(decisions_of(services, "Acme Coffee"))
    assert (decided[ACME_BREAKOUT].action, decided[ACME_BREAKOUT].reason) == ("skip", "kill_switch")
    assert new_clones(services) == 0
    assert sandbox[0].witness.applied() == []


def test_shadow_mode_records_what_it_would_clone_and_sends_nothing(services, sandbox):
    with services.db.session() as session:
        customers.find(session, ref="Acme Coffee").mode = "shadow"
    run_today(services, "Acme Coffee")
    decided = by_subject(decisions_of(services, "Acme Coffee"))
    assert (decided[ACME_BREAKOUT].action, decided[ACME_BREAKOUT].reason) == ("shadow_clone", "breakout")
    assert new_clones(services) == 0
    assert sandbox[0].witness.applied() == []


def test_a_paused_customer_run_by_hand_records_why_and_calls_nothing(services, sandbox):
    with services.db.session() as session:
        customers.find(session, ref="Acme Coffee").enabled = False
    assert run_today(services, "Acme Coffee").status == "succeeded"
    (decision,) = decisions_of(services, "Acme Coffee")
    assert (decision.action, decision.reason) == ("skip", "customer_paused")
    assert sandbox[0].witness.entries() == []


def test_the_run_keeps_every_post_it_saw_and_a_replay_gives_the_same_verdicts(services):
    run_today(services, "Acme Coffee")
    with services.db.session() as session:
        (stored,) = session.scalars(select(RunInput)).all()
        record = PublishInput.from_json(stored.record)
    assert stored.loop == "publish_to_learn"
    assert stored.rule_version.startswith("ptl-v1+")
    verdicts = {seen.post_id: seen.verdict for seen in record.posts}
    assert verdicts[ACME_BREAKOUT] is Reason.BREAKOUT
    assert verdicts[ACME_EXCLUDED] is Reason.EXCLUDED_BY_OVERRIDE
    assert len(record.posts) > len(decisions_of(services, "Acme Coffee"))  # every post, not only the top 3
    replayed = evaluate_publish(replay_posts(record), record.clone_counts, Thresholds(**record.thresholds))
    assert dict(replayed.verdicts) == {k: v for k, v in verdicts.items() if v is not None}
