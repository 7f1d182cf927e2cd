"""The publish/learn cycle on PostgreSQL and the sandbox, driven by the test's clock (issue 15): approved
clones go live once, rejected ones never, nothing without consent, published clones get their verdicts, and
a source whose clones lost twice is not cloned again."""

from __future__ import annotations

import pytest

from agent.domain.vocabulary import ApprovalStatus
from agent.loops import consent
from agent.store.models import Decision
from tests.support.cycle import (
    FAST,
    agent_clones,
    customer_id,
    cycle_decisions,
    judge,
    play,
    publications,
    scheduled_posts,
)
from tests.support.demo import project
from tests.support.running import decisions_of, follow_jobs, run_today

MAPLE, COPPER, HARBOR, GRANITE, VELVET, LANTERN = (
    "Maple Street Bikes",
    "Copper Kettle Tea",
    "Harbor Lights Candles",
    "Granite Peak Gym",
    "Velvet Paws Grooming",
    "Lantern Street Records",
)
FAST_30D = {**FAST, "top_performers_window": "30d"}
pytestmark = pytest.mark.parametrize("settings_overrides", [FAST_30D], indirect=True)


def reasons(services, name):
    return [(d.action, d.reason) for d in cycle_decisions(services, name)]


def clone_and_review(services, clock, name, *, hours=24):
    """Today's run clones the breakout, its job completes, a day of reviews and schedules plays out."""
    assert run_today(services, name).status == "succeeded"
    follow_jobs(services, clock, seconds=20)
    play(services, clock, hours=hours)


def test_an_approved_clone_is_scheduled_exactly_once_and_followed_to_publication(services, sandbox, clock):
    sb, _ = sandbox
    clone_and_review(services, clock, MAPLE)
    approved, rejected = publications(services, MAPLE)  # two variations: one approved, one rejected
    assert (approved.status, rejected.status) == ("published", "rejected")
    assert sb.witness.count_applied("schedule", container_id=approved.container_id) == 1
    assert sb.witness.count_applied("schedule", container_id=rejected.container_id) == 0
    (post,) = scheduled_posts(services, MAPLE)
    assert (post.status, post.platform) == ("published", "tiktok")  # the Instagram account needs re-auth
    assert approved.scheduled_for.astimezone(clock().tzinfo).hour == 0  # 18:00 in Chicago is 00:00 UTC (CST)
    assert ("schedule", "clone_approved") in reasons(services, MAPLE)
    assert ("observe", "post_published") in reasons(services, MAPLE)
    play(services, clock, hours=48)
    assert sb.witness.count_applied("schedule") == 1  # never again, however long the ticks go on


def test_published_clones_get_the_expected_verdicts(services, sandbox, clock):
    for name in (MAPLE, COPPER, LANTERN, GRANITE):
        clone_and_review(services, clock, name, hours=1)
    play(services, clock, hours=30)
    assert judge(services, clock, days=10) == 4
    verdicts = {
        name: [d for d in cycle_decisions(services, name) if d.action == "clone_outcome"]
        for name in (MAPLE, COPPER, LANTERN, GRANITE)
    }
    assert {name: [d.reason for d in found] for name, found in verdicts.items()} == {
        MAPLE: ["won"],  # 0.05 against a median of 0.030 at cloning
        COPPER: ["lost"],  # 0.012
        LANTERN: ["inconclusive"],  # its posts failed: never live
        GRANITE: ["inconclusive"],  # rejected
    }
    (won,) = verdicts[MAPLE]
    assert won.evidence["lift_vs_median"] == pytest.approx(0.05 / 0.03 - 1, abs=0.01)
    assert won.evidence["lift_vs_parent"] == pytest.approx(0.05 / 0.09 - 1, abs=0.01)
    assert won.evidence["views"] >= won.evidence["min_views"]
    assert won.evidence["window_until"] is not None  # the window judged is recorded
    assert verdicts[LANTERN][0].evidence["note"] == "never published (failed, failed)"
    assert judge(services, clock, days=1) == 0  # one verdict per clone


def test_a_rejected_clone_is_never_scheduled_and_keeps_its_cap_slot(services, sandbox, clock):
    sb, _ = sandbox
    clone_and_review(services, clock, GRANITE, hours=12)
    assert {p.status for p in publications(services, GRANITE)} == {"rejected"}
    assert sb.witness.count_applied("schedule", project_id=project(13)) == 0
    (clone,) = agent_clones(services, GRANITE)
    assert clone.slot == 1  # a rejected clone keeps counting toward its source's cap of 5
    with services.store() as store:  # what the next day's cap check reads
        assert store.clone_counts(customer_id=customer_id(services, GRANITE)) == {clone.source_post_id: 1}
    reviews = [d for d in decisions_of(services, GRANITE) if d.reason == "content_rejected"]
    assert len(reviews) == 2  # one per container, whether the webhook or the backstop read saw it


def test_without_auto_schedule_nothing_is_scheduled_until_an_ops_approval(services, sandbox, clock):
    sb, _ = sandbox
    clone_and_review(services, clock, HARBOR, hours=12)
    pubs = publications(services, HARBOR)
    assert {p.status for p in pubs} == {"pending_schedule"}
    assert sb.witness.count_applied("schedule", project_id=project(12)) == 0
    first, second = pubs
    assert consent.approve(services, first.proposal_id, actor="cli:ops").status is ApprovalStatus.APPROVED
    consent.reject(services, second.proposal_id, actor="cli:ops")
    play(services, clock, hours=1)
    first, second = publications(services, HARBOR)
    assert (first.status, second.status) == ("scheduled", "declined")
    assert sb.witness.count_applied("schedule", project_id=project(12)) == 1
    with services.db.session() as session:
        executed = session.get(Decision, first.schedule_decision_id)
        assert executed is not None
        assert executed.evidence["consented_by"] == "cli:ops"


def test_no_connected_account_is_surfaced_and_nothing_is_sent(services, sandbox, clock):
    sb, _ = sandbox
    clone_and_review(services, clock, VELVET, hours=6)
    assert reasons(services, VELVET).count(("skip", "no_connected_account")) == 2  # once per container
    assert sb.witness.count_applied("schedule", project_id=project(14)) == 0


def test_a_source_whose_clones_lost_twice_is_skipped_with_clones_underperform(services, sandbox, clock):
    for _day in range(2):
        clone_and_review(services, clock, COPPER, hours=24)
    assert len(agent_clones(services, COPPER)) == 2
    assert judge(services, clock, days=11) == 2
    assert [d.reason for d in cycle_decisions(services, COPPER) if d.action == "clone_outcome"] == [
        "lost"
    ] * 2
    assert run_today(services, COPPER).status == "succeeded"
    today = [
        d for d in decisions_of(services, COPPER) if d.subject_id == "pp_00000011-0001-4000-8000-000000000000"
    ][-1]
    assert (today.action, today.reason) == ("skip", "clones_underperform")
    assert [o["verdict"] for o in today.evidence["recent_outcomes"]] == ["lost", "lost"]
    assert len(agent_clones(services, COPPER)) == 2  # no third clone
