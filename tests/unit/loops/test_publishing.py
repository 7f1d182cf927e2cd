"""The publish/learn cycle end to end on the fakes (issue 15): a completed clone is reviewed, scheduled with
consent, its posts followed to their end, and the clone judged; every documented answer of the schedule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agent.domain.evidence import PostVerdict
from agent.domain.learn_evidence import CloneVerdict, PublicationStep
from agent.domain.publishing import PostStatus, Publication, PublicationStatus
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import Action, ApprovalStatus, CustomerMode, LoopName, NotifyEvent, Reason
from agent.layers import errors
from agent.layers.models import TopPerformer
from agent.layers.publishing import ScheduledPost, ScheduleResult
from agent.loops import catalog, consent, job_poller, publishing, verdicts, webhook_events
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ranking

PROJECT = "prj_acme"
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # 13:00 in New York: today's 18:00 slot is ahead
SLOT = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # 18:00 America/New_York (EST)
POSTS = ranking(("pp_latte", 4210, 0.09), *((f"pp_{i}", 500, 0.02) for i in range(5)))


def world(
    *, auto_schedule: bool = True, mode: CustomerMode = CustomerMode.ACTIVE, **settings: object
) -> FakeDeps:
    memory = Memory()
    memory.add_customer(
        layers_project_id=PROJECT,
        name="Acme Coffee",
        timezone="America/New_York",
        mode=mode,
        auto_schedule=auto_schedule,
    )
    client = FakeLayers({PROJECT: FakeProject(top=list(POSTS))})
    client.scheduling.connect(PROJECT, ("sa_tiktok", "connected"), ("sa_insta", "reauth_required"))
    return FakeDeps(fake_settings(**settings), client, memory, Clock(START))


def cloned(deps: FakeDeps, *, approval: str = "pending") -> str:
    """Today's run clones the breakout; its job completes with the container in review."""
    customer = next(iter(deps.memory.customers.values()))
    catalog.run(deps, deps.memory.add_run(customer, LoopName.PUBLISH_TO_LEARN, deps.clock().date()))
    deps.client.finish_all()
    for job in deps.client.jobs.values():
        job.approval_status = approval
    deps.clock.advance(deps.settings.job_poll_initial_s)
    job_poller.poll_due(deps)
    (clone,) = [w for w in deps.memory.work.values() if w.container_id in deps.client.by_container]
    return clone.container_id


def approve_at_layers(deps: FakeDeps, status: str = "approved") -> None:
    for job in deps.client.jobs.values():
        job.approval_status = status


def the_publication(deps: FakeDeps) -> Publication:
    (pub,) = deps.memory.learn.publications.values()
    return pub


CYCLE = frozenset({"container", "scheduled_post", "clone"})  # the publish/learn cycle's subjects


def reasons(deps: FakeDeps, action: Action | None = None) -> list[Reason]:
    """The cycle's decisions (not the run's post verdicts), in order."""
    return [
        d.reason
        for d in deps.memory.decisions.values()
        if d.subject.type in CYCLE and (action is None or d.action is action)
    ]


def tick_after(deps: FakeDeps, seconds: float) -> int:
    deps.clock.advance(seconds)
    return publishing.tick(deps)


def test_an_approved_clone_is_scheduled_once_to_its_connected_accounts_at_the_next_slot():
    deps = world()
    container = cloned(deps)
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.AWAITING_REVIEW
    assert deps.client.scheduling.sent == []  # nothing before the customer's review
    approve_at_layers(deps)
    tick_after(deps, deps.settings.approval_check_interval_s)
    pub = the_publication(deps)
    assert pub.status is PublicationStatus.SCHEDULED
    assert deps.client.scheduling.sent == [(container, pub.idempotency_key)]
    assert (pub.scheduled_for, pub.targets) == (SLOT, ("sa_tiktok",))
    schedule = next(d for d in deps.memory.decisions.values() if d.action is Action.SCHEDULE)
    assert schedule.reason is Reason.CLONE_APPROVED
    assert isinstance(schedule.evidence, PublicationStep)
    assert [a.status for a in schedule.evidence.accounts] == ["connected", "reauth_required"]
    assert Reason.POST_SCHEDULED in reasons(deps, Action.OBSERVE)
    reviews = [d.reason for d in deps.memory.decisions.values() if d.action is Action.APPROVE]
    assert reviews == [Reason.CONTENT_APPROVED]  # the review, recorded by the backstop under the clone
    tick_after(deps, 600)
    assert len(deps.client.scheduling.sent) == 1  # never a second schedule


def test_the_scheduled_posts_are_followed_from_their_slot_and_the_clone_is_judged_after_its_window():
    deps = world()
    container = cloned(deps, approval="approved")
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.SCHEDULED
    calls = len(deps.client.calls)
    tick_after(deps, 600)
    assert "get_scheduled_post" not in deps.client.calls[calls:]  # not polled before its slot
    (sp,) = deps.client.scheduling.posts
    deps.client.set_post(sp, "published", published_at=SLOT + timedelta(seconds=20), external_id="738")
    deps.clock.at = SLOT + timedelta(minutes=1)
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.PUBLISHED
    assert Reason.POST_PUBLISHED in reasons(deps, Action.OBSERVE)

    project = deps.client.projects[PROJECT]
    project.top.append(
        TopPerformer.model_validate(
            {
                "rank": 9,
                "sourceType": "content_container",
                "sourceId": container,
                "platformPostId": "pp_clone",
            }
        )
    )
    deps.client.scheduling.metrics["pp_clone"] = (6100, 0.05)
    deps.clock.at = SLOT + timedelta(days=7, hours=71)
    assert verdicts.tick(deps) == 0  # the window has not settled yet
    deps.clock.at = SLOT + timedelta(days=7, hours=73)
    assert verdicts.tick(deps) == 1
    verdict = next(d for d in deps.memory.decisions.values() if d.action is Action.CLONE_OUTCOME)
    assert verdict.reason is Reason.WON  # 0.05 beats the median at cloning (0.02)
    assert isinstance(verdict.evidence, CloneVerdict)
    assert verdict.evidence.lift_vs_median == pytest.approx(1.5)
    assert verdict.evidence.lift_vs_parent == pytest.approx(0.05 / 0.09 - 1)
    assert verdicts.tick(deps) == 0  # one verdict per clone


def test_without_auto_schedule_nothing_is_scheduled_until_an_ops_approval():
    deps = world(auto_schedule=False)
    cloned(deps, approval="approved")
    publishing.tick(deps)
    pub = the_publication(deps)
    assert pub.status is PublicationStatus.PENDING_SCHEDULE
    assert reasons(deps, Action.PENDING_SCHEDULE) == [Reason.SCHEDULE_NEEDS_CONSENT]
    tick_after(deps, 3600)
    assert deps.client.scheduling.sent == []
    assert pub.proposal_id is not None
    verdict = consent.approve(deps, pub.proposal_id, actor="cli:ops")
    assert verdict.status is ApprovalStatus.APPROVED  # consent recorded; the tick schedules it
    assert deps.client.scheduling.sent == []
    tick_after(deps, deps.settings.publish_tick_s)
    assert the_publication(deps).status is PublicationStatus.SCHEDULED
    assert len(deps.client.scheduling.sent) == 1
    assert deps.memory.approvals[pub.proposal_id].record.status is ApprovalStatus.EXECUTED
    assert Reason.EXECUTED_AFTER_APPROVAL in reasons(deps, Action.EXECUTE)
    schedule = next(d for d in deps.memory.decisions.values() if d.action is Action.SCHEDULE)
    assert isinstance(schedule.evidence, PublicationStep)
    assert schedule.evidence.consented_by == "cli:ops"


def test_a_schedule_waiting_for_consent_tells_the_people_routed_to_proposals_once():
    deps = world(auto_schedule=False, notify_urls="ops=json://localhost:9/ops")
    cloned(deps, approval="approved")
    publishing.tick(deps)
    tick_after(deps, 3600)  # it keeps waiting: told once, not per tick
    pub = the_publication(deps)
    (row,) = [n.new for n in deps.memory.notifications.values()]
    assert (row.event, row.decision_id, row.channel) == (NotifyEvent.PROPOSAL_WAITING, pub.proposal_id, "ops")
    assert row.title == f"Acme Coffee: a proposal waits for consent (decision {pub.proposal_id})"


def test_a_declined_proposal_is_never_scheduled():
    deps = world(auto_schedule=False)
    cloned(deps, approval="approved")
    publishing.tick(deps)
    consent.reject(deps, the_publication(deps).proposal_id or 0, actor="cli:ops")
    tick_after(deps, 3600)
    assert the_publication(deps).status is PublicationStatus.DECLINED
    assert deps.client.scheduling.sent == []


def test_a_rejected_clone_is_recorded_and_never_scheduled_and_keeps_its_slot():
    deps = world()
    cloned(deps)
    publishing.tick(deps)
    approve_at_layers(deps, "rejected")
    tick_after(deps, deps.settings.approval_check_interval_s)
    assert the_publication(deps).status is PublicationStatus.REJECTED
    assert [d.reason for d in deps.memory.decisions.values() if d.action is Action.REJECT] == [
        Reason.CONTENT_REJECTED
    ]
    tick_after(deps, 86400)
    assert deps.client.scheduling.sent == []
    store = deps.store().__enter__()
    assert store.clone_counts(customer_id=1) == {
        "pp_latte": 1
    }  # a rejected clone still counts toward the cap
    verdicts.tick(deps)
    verdict = next(d for d in deps.memory.decisions.values() if d.action is Action.CLONE_OUTCOME)
    assert verdict.reason is Reason.INCONCLUSIVE
    assert isinstance(verdict.evidence, CloneVerdict)
    assert verdict.evidence.note == "never published (rejected)"


def test_the_content_review_webhook_wakes_the_publication_without_a_read():
    deps = world()
    container = cloned(deps)
    publishing.tick(deps)
    deps.memory.receive("content.approved", {"id": container, "projectId": PROJECT})
    webhook_events.process(deps)
    calls = len(deps.client.calls)
    publishing.tick(deps)
    assert "get_content" not in deps.client.calls[calls:]
    assert the_publication(deps).status is PublicationStatus.SCHEDULED


@pytest.mark.parametrize(
    ("accounts", "reason"),
    [
        pytest.param((), Reason.NO_CONNECTED_ACCOUNT, id="no-account"),
        pytest.param((("sa_1", "reauth_required"),), Reason.ACCOUNT_NEEDS_REAUTH, id="needs-reauth"),
    ],
)
def test_no_usable_account_is_surfaced_once_and_retried_later(accounts, reason):
    deps = world()
    deps.client.scheduling.connect(PROJECT, *accounts)
    cloned(deps, approval="approved")
    publishing.tick(deps)
    tick_after(deps, deps.settings.approval_check_interval_s)
    assert reasons(deps, Action.SKIP) == [reason]  # recorded once, however often it is tried
    assert the_publication(deps).status is PublicationStatus.READY
    deps.client.scheduling.connect(PROJECT, ("sa_1", "connected"))
    tick_after(deps, deps.settings.approval_check_interval_s)
    assert the_publication(deps).status is PublicationStatus.SCHEDULED


@pytest.mark.parametrize(
    ("mode", "kill_switch", "expected"),
    [
        pytest.param(
            CustomerMode.SHADOW, False, (Action.SHADOW_SCHEDULE, Reason.CLONE_APPROVED), id="shadow"
        ),
        pytest.param(CustomerMode.ACTIVE, True, (Action.SKIP, Reason.KILL_SWITCH), id="kill-switch"),
    ],
)
def test_restraint_schedules_nothing(mode, kill_switch, expected):
    deps = world()
    cloned(deps, approval="approved")  # cloned before the restraint came on
    deps.memory.customers[1] = replace(deps.memory.customers[1], mode=mode)
    deps.settings = fake_settings(kill_switch=kill_switch)
    publishing.tick(deps)
    held = [(d.action, d.reason) for d in deps.memory.decisions.values() if d.subject.type == "container"]
    assert expected in held
    assert deps.client.scheduling.sent == []


def test_a_stashed_schedule_is_followed_to_its_promotion():
    deps = world()
    container = cloned(deps, approval="approved")
    deps.client.scheduling.answers.append(
        ScheduleResult(scheduled_post_ids=[], gate_status="blocked_on_approval")
    )
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.BLOCKED
    assert Reason.SCHEDULE_BLOCKED_ON_APPROVAL in reasons(deps, Action.OBSERVE)
    deps.client.scheduling.posts["sp_promoted"] = ScheduledPost(  # Layers promoted the stash on approval
        id="sp_promoted", container_id=container, status="queued", scheduled_for=SLOT
    )
    tick_after(deps, deps.settings.approval_check_interval_s)
    assert the_publication(deps).status is PublicationStatus.SCHEDULED
    assert Reason.SCHEDULE_PROMOTED in reasons(deps, Action.OBSERVE)
    assert set(deps.memory.learn.posts) == {"sp_promoted"}


def test_approval_required_sends_it_back_to_review_with_a_fresh_key():
    deps = world()
    cloned(deps, approval="approved")
    deps.client.scheduling.answers.append(errors.Forbidden("pending", code="APPROVAL_REQUIRED", status=403))
    publishing.tick(deps)
    first_key = the_publication(deps).idempotency_key
    assert the_publication(deps).status is PublicationStatus.AWAITING_REVIEW
    assert Reason.APPROVAL_REQUIRED in reasons(deps, Action.ERROR)
    tick_after(deps, deps.settings.approval_check_interval_s)  # read again: approved now
    pub = the_publication(deps)
    assert pub.status is PublicationStatus.SCHEDULED
    assert pub.idempotency_key != first_key
    assert len(deps.client.scheduling.sent) == 1


def test_content_rejected_is_recorded_and_never_retried():
    deps = world()
    cloned(deps, approval="approved")
    deps.client.scheduling.answers.append(errors.Conflict("rejected", code="CONTENT_REJECTED", status=409))
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.REJECTED
    assert Reason.CONTENT_REJECTED in [
        d.reason for d in deps.memory.decisions.values() if d.action is Action.REJECT
    ]
    calls = deps.client.calls.count("schedule")
    tick_after(deps, 86400)
    assert deps.client.calls.count("schedule") == calls


def test_a_schedule_left_unanswered_is_resent_with_the_same_key_and_replayed():
    deps = world()
    cloned(deps, approval="approved")
    deps.client.scheduling.lose_answers = 1  # Layers applies the schedule; its answer is lost
    publishing.tick(deps)
    assert the_publication(deps).status is PublicationStatus.SCHEDULING
    tick_after(deps, 60)
    pub = the_publication(deps)
    assert pub.status is PublicationStatus.SCHEDULED
    assert [key for _, key in deps.client.scheduling.sent] == [pub.idempotency_key]  # applied once
    assert deps.client.calls.count("schedule") == 2  # the second send was a replay


def test_post_webhooks_end_posts_the_way_polls_do_once():
    deps = world()
    container = cloned(deps, approval="approved")
    publishing.tick(deps)
    (sp,) = deps.client.scheduling.posts
    deps.memory.receive(
        "post.failed", {"scheduledPostId": sp, "containerId": container, "error": {"code": "X"}}
    )
    deps.memory.receive(
        "post.failed", {"scheduledPostId": sp, "containerId": container}, event_id="evt_again"
    )
    webhook_events.process(deps)
    assert reasons(deps, Action.OBSERVE).count(Reason.POST_FAILED) == 1
    assert the_publication(deps).status is PublicationStatus.FAILED
    assert deps.memory.learn.posts[sp].status is PostStatus.FAILED


def publish_and_judge(deps: FakeDeps, container: str, *, views: int, rate: float, post_id: str) -> None:
    """The customer approves the clone; it goes live at its slot; its window settles; it is judged."""
    publishing.tick(deps)  # the completed clone is tracked, in review
    approve_at_layers(deps)
    tick_after(deps, deps.settings.approval_check_interval_s)
    for sp, post in deps.client.scheduling.posts.items():
        if post.container_id == container:
            deps.client.set_post(sp, "published", published_at=deps.clock())
    pub = next(p for p in deps.memory.learn.publications.values() if p.container_id == container)
    deps.clock.at = (pub.scheduled_for or deps.clock()) + timedelta(minutes=1)
    publishing.tick(deps)
    row = {"rank": 9, "sourceType": "content_container", "sourceId": container, "platformPostId": post_id}
    deps.client.projects[PROJECT].top.append(TopPerformer.model_validate(row))
    deps.client.scheduling.metrics[post_id] = (views, rate)
    deps.clock.advance(timedelta(days=10, hours=1).total_seconds())
    verdicts.tick(deps)


def new_day(deps: FakeDeps) -> str:
    """The next day's run; returns the container of the clone it made (if any)."""
    before = {w.container_id for w in deps.memory.work.values()}
    customer = next(iter(deps.memory.customers.values()))
    catalog.run(deps, deps.memory.add_run(customer, LoopName.PUBLISH_TO_LEARN, deps.clock().date()))
    deps.client.finish_all()
    deps.clock.advance(deps.settings.job_poll_initial_s)
    job_poller.poll_due(deps)
    made = [w.container_id for w in deps.memory.work.values() if w.container_id not in before]
    return made[0] if made else ""


def test_a_source_whose_clones_lost_twice_is_skipped_the_next_day_with_the_verdicts_as_evidence():
    deps = world(hit_rate_window=2)
    first = cloned(deps)
    publish_and_judge(deps, first, views=5000, rate=0.01, post_id="pp_clone_1")
    second = new_day(deps)
    assert second
    publish_and_judge(deps, second, views=5000, rate=0.015, post_id="pp_clone_2")
    judged = [d.reason for d in deps.memory.decisions.values() if d.action is Action.CLONE_OUTCOME]
    assert judged == [Reason.LOST, Reason.LOST]
    assert new_day(deps) == ""  # no third clone
    today = [d for d in deps.memory.decisions.values() if d.subject.id == "pp_latte"][-1]
    assert (today.action, today.reason) == (Action.SKIP, Reason.CLONES_UNDERPERFORM)
    assert isinstance(today.evidence, PostVerdict)
    assert [o.verdict for o in today.evidence.recent_outcomes] == [Reason.LOST, Reason.LOST]
    review = [d for d in deps.memory.decisions.values() if d.reason is Reason.THRESHOLD_REVIEW]
    assert [d.action for d in review] == [Action.SURFACE]  # hit rate 0 of 2 is below 0.3
    record = list(deps.memory.run_inputs.values())[-1]
    assert isinstance(record, PublishInput)  # the day's record keeps what the rule read, for backtests
    assert [o.verdict for o in record.outcomes["pp_latte"]] == [Reason.LOST, Reason.LOST]
