"""The notification use cases on the fakes: decisions queue their notifications in their own unit of work,
per routed channel; the sender sends each once, backs off a failing channel without holding up the others,
gives up after the bound, and folds a digest channel's rows into one message; the health watch opens and
clears each signal once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from agent.domain.notifications import ChannelFailed, Message
from agent.domain.vocabulary import LoopName, NotificationStatus, NotifyEvent, RunStatus
from agent.layers import errors
from agent.loops import catalog, health_watch, notify_delivery
from agent.rules.health import CustomerHealth
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ad_row, ads_content, ranking, recommendation

START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
PROJECT = "prj_dental"
URLS = "ops=json://localhost:9/ops team=json://localhost:9/team pager=json://localhost:9/pager"
ROUTES = {
    "team": {"customers": ["dental"], "digest_at": "20:00"},
    "pager": {"events": ["run_failed", "attempts_exhausted"]},
}


class Channels:
    """Records what each channel was handed; a channel in `failing` refuses."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.failing: set[str] = set()

    def send(self, channel: str, message: Message) -> None:
        if channel in self.failing:
            raise ChannelFailed(f"{channel} is down")
        self.sent.append((channel, message))


def world(**settings: object) -> FakeDeps:
    memory = Memory()
    memory.add_customer(
        layers_project_id=PROJECT, name="Bright Smile Dental", timezone="UTC", external_id="dental"
    )
    project = FakeProject(
        top=ranking(("pp_smile", 900, 0.08), titles={"pp_smile": "Whiter in a week"}),
        ads_content=[ads_content("adc_1"), ads_content("adc_2"), ads_content("adc_3")],
        ads=[ad_row("ad_burpee", spend=87.5)],
        recommendations=[
            recommendation(
                "rec_vp",
                "value_propositions",
                0.75,
                subject=("project", PROJECT),
                method="PATCH",
                endpoint=f"/v1/projects/{PROJECT}/value-propositions",
            )
        ],
    )
    overrides = {"notify_urls": URLS, "notify_routes": ROUTES, "web_base_url": "http://web.test", **settings}
    return FakeDeps(fake_settings(**overrides), FakeLayers({PROJECT: project}), memory, Clock(START))


def run(deps: FakeDeps, loop: LoopName = LoopName.OPTIMIZATION) -> RunStatus:
    customer = deps.memory.customers[1]
    outcome = catalog.run(deps, deps.memory.add_run(customer, loop, START.date()))
    return RunStatus(outcome.status) if outcome.status in ("succeeded", "failed") else RunStatus.QUEUED


def queued(deps: FakeDeps) -> list[tuple[NotifyEvent, str]]:
    return sorted((row.new.event, row.new.channel) for row in deps.memory.notifications.values())


def test_an_optimization_day_queues_the_flag_and_the_proposal_for_each_routed_channel():
    deps = world()
    assert run(deps) is RunStatus.SUCCEEDED
    assert queued(deps) == [
        (NotifyEvent.PROPOSAL_WAITING, "ops"),
        (NotifyEvent.PROPOSAL_WAITING, "team"),
        (NotifyEvent.SPEND_WITHOUT_CONVERSIONS, "ops"),
        (NotifyEvent.SPEND_WITHOUT_CONVERSIONS, "team"),
    ]  # the pager takes run failures only
    rows = list(deps.memory.notifications.values())
    proposal = next(r.new for r in rows if r.new.event is NotifyEvent.PROPOSAL_WAITING)
    assert proposal.decision_id is not None
    assert (
        proposal.title
        == f"Bright Smile Dental: a proposal waits for consent (decision {proposal.decision_id})"
    )
    assert (
        proposal.body == f"Decision {proposal.decision_id}: pending_approval / changes_brand_configuration."
    )
    assert proposal.link == f"http://web.test/decisions/{proposal.decision_id}"
    team = [r.new for r in rows if r.new.channel == "team"]
    assert all(r.digest and r.due_at == datetime(2026, 11, 28, 20, 0, tzinfo=UTC) for r in team)


def test_without_channels_nothing_is_queued():
    deps = world(notify_urls=None, notify_routes={})
    assert run(deps) is RunStatus.SUCCEEDED
    assert deps.memory.notifications == {}


def test_a_run_that_fails_tells_its_failure_and_nothing_of_the_plan_it_never_recorded():
    deps = world()
    deps.client.fail_next = [errors.KillSwitch("kill switch", status=503, code="KILL_SWITCH")]
    assert run(deps) is RunStatus.FAILED
    assert queued(deps) == [(NotifyEvent.RUN_FAILED, c) for c in ("ops", "pager", "team")]


def test_a_run_given_up_after_its_attempts_is_told_once():
    deps = world(task_max_attempts=1)
    customer = deps.memory.customers[1]
    run_id = deps.memory.add_run(customer, LoopName.OPTIMIZATION, START.date())
    deps.client.fail_next = [errors.ServerError("busy", status=503, code="UNAVAILABLE")]
    catalog.run(deps, run_id)  # deferred: its one attempt is used
    catalog.run(deps, run_id)  # exhausted: given up
    catalog.run(deps, run_id)  # a redelivery: nothing new
    assert queued(deps) == [(NotifyEvent.ATTEMPTS_EXHAUSTED, c) for c in ("ops", "pager", "team")]


def test_the_sender_sends_each_row_once_and_never_again():
    deps = world()
    run(deps)
    channels = Channels()
    assert notify_delivery.deliver_due(deps, channels) == 2  # the team's digest is not due yet
    assert notify_delivery.deliver_due(deps, channels) == 0
    assert sorted(channel for channel, _ in channels.sent) == ["ops", "ops"]
    for _, message in channels.sent:
        (row_id,) = message.notification_ids
        assert message.idempotency_key == f"notification-{row_id}"
        assert deps.memory.notifications[row_id].status is NotificationStatus.SENT


def test_a_digest_channel_gets_one_message_at_its_time():
    deps = world()
    run(deps)
    channels = Channels()
    notify_delivery.deliver_due(deps, channels)
    deps.clock.advance(2 * 3600)
    assert notify_delivery.deliver_due(deps, channels) == 2
    channel, digest = channels.sent[-1]
    assert channel == "team"
    assert len(digest.notification_ids) == 2
    assert digest.title == "growth agent digest for team: 2 notification(s)"


def test_a_failing_channel_backs_off_without_holding_up_the_others_and_is_given_up_at_the_bound():
    deps = world(notify_max_attempts=3, notify_retry_base_s=10, notify_retry_max_s=15)
    run(deps)
    deps.clock.advance(2 * 3600)  # the digest is due too
    channels = Channels()
    channels.failing = {"ops"}
    assert notify_delivery.deliver_due(deps, channels) == 2  # the team's digest went out
    ops = [r for r in deps.memory.notifications.values() if r.new.channel == "ops"]
    tried, held = sorted(ops, key=lambda r: r.attempts, reverse=True)
    assert (tried.attempts, held.attempts) == (1, 0)  # the second was never tried: its attempt given back
    assert tried.last_error == "ops is down"
    assert all(r.new.due_at == deps.clock() + timedelta(seconds=10) for r in ops)
    assert notify_delivery.deliver_due(deps, channels) == 0  # backing off: not due yet
    for _ in range(3):
        deps.clock.advance(15)
        notify_delivery.deliver_due(deps, channels)
    assert tried.status is NotificationStatus.GIVEN_UP
    assert tried.attempts == 3
    channels.failing = set()
    deps.clock.advance(15)
    assert notify_delivery.deliver_due(deps, channels) == 1  # the held row still goes out
    assert held.status is NotificationStatus.SENT


def test_a_channel_removed_from_the_settings_gives_its_rows_up():
    deps = world()
    run(deps)
    later = FakeDeps(fake_settings(notify_urls="other=json://x/y"), deps.client, deps.memory, deps.clock)

    class Gone(Channels):
        def send(self, channel: str, message: Message) -> None:
            raise ChannelFailed(f"channel {channel!r} is no longer in NOTIFY_URLS", permanent=True)

    notify_delivery.deliver_due(later, Gone())
    ops = [r for r in deps.memory.notifications.values() if r.new.channel == "ops"]
    assert {r.status for r in ops} == {NotificationStatus.GIVEN_UP, NotificationStatus.PENDING}


def health(posts: int | None) -> list[CustomerHealth]:
    return [CustomerHealth(1, "Bright Smile Dental", {}, posts, [], 0)]


def spike() -> list[CustomerHealth]:
    return [CustomerHealth(1, "Bright Smile Dental", {date(2026, 11, 27): 9}, 3, [], 0)]


def test_the_health_watch_opens_a_signal_once_and_clears_it_once():
    deps = world()
    deps.memory.health = health(0)
    assert health_watch.watch_health(deps) == 1
    assert health_watch.watch_health(deps) == 0  # still open: quiet
    deps.memory.health = health(4)
    assert health_watch.watch_health(deps) == 1
    assert health_watch.watch_health(deps) == 0
    assert queued(deps) == [
        (NotifyEvent.HEALTH_CLEARED, "ops"),
        (NotifyEvent.HEALTH_CLEARED, "team"),
        (NotifyEvent.HEALTH_SIGNAL, "ops"),
        (NotifyEvent.HEALTH_SIGNAL, "team"),
    ]
    opened = next(
        r.new for r in deps.memory.notifications.values() if r.new.event is NotifyEvent.HEALTH_SIGNAL
    )
    assert opened.title == "Bright Smile Dental: a health signal crossed its threshold (no_recent_posts)"
    assert "no post published in 14 days" in opened.body
    assert opened.link == "http://web.test/health"


def test_a_spike_of_failed_jobs_is_its_own_event():
    deps = world()
    deps.memory.health = spike()
    health_watch.watch_health(deps)
    assert (NotifyEvent.JOB_FAILURE_SPIKE, "ops") in queued(deps)


def test_a_sender_whose_lease_lapsed_sends_nothing_another_sender_took_over():
    deps = world(notify_lease_s=5)
    run(deps)
    slow, fast = Channels(), Channels()
    claimed = deps.memory.notifications
    with deps.store() as store:
        stale = store.claim_notifications(now=deps.clock(), limit=10, lease_s=5)  # a sender that stalls…
    deps.clock.advance(6)
    assert notify_delivery.deliver_due(deps, fast) == 2  # …its lease lapses, another sends them
    for row in stale:
        with deps.store() as store:
            assert not store.renew_notification_lease(
                ids=[row.id], held_until=row.lease_until, until=deps.clock()
            )
    assert slow.sent == []
    assert len(fast.sent) == 2
    assert {r.status for r in claimed.values() if r.new.channel == "ops"} == {NotificationStatus.SENT}
