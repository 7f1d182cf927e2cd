"""The sandbox's webhook hub on a hand-driven clock: who gets an event, the §23.4 retry ladder (scaled), the
delivery faults and their seed, secret rotation and auto-pause. No HTTP: answers are fed to `settle`."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from agent.sandbox import FaultConfig, ManualClock
from agent.sandbox.webhooks import AUTO_PAUSE_AFTER, LADDER_S, WebhookHub

START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def hub_with(faults: FaultConfig | None = None, scale: float = 1.0) -> tuple[WebhookHub, ManualClock]:
    config = faults or FaultConfig()
    hub = WebhookHub(lambda: config, scale)
    hub.reseed(config.seed)
    return hub, ManualClock(START)


def endpoint(hub: WebhookHub, clock: ManualClock, events=("job.completed",), project_id=None):
    return hub.create(
        url="http://receiver/h", events=events, now=clock(), project_id=project_id, secret="whsec_s"
    )


def answer_all(hub: WebhookHub, clock: ManualClock, status: int | None) -> list[str]:
    sends = hub.due(clock())
    for send in sends:
        hub.settle(send, status, None if status else "ConnectError", clock())
    return [send.event_id for send in sends]


def test_an_event_goes_to_every_subscribed_endpoint_of_its_project_only():
    hub, clock = hub_with()
    everything = endpoint(hub, clock, events=("job.completed", "job.failed"))
    other_type = endpoint(hub, clock, events=("content.approved",))
    this_project = endpoint(hub, clock, project_id="p1")
    other_project = endpoint(hub, clock, project_id="p2")
    queued = hub.publish("job.completed", {"jobId": "job_1", "projectId": "prj_p1"}, clock())
    assert {d.endpoint_id for d in queued} == {everything.id, this_project.id}
    assert other_type.id not in {d.endpoint_id for d in queued}
    assert other_project.id not in {d.endpoint_id for d in queued}
    assert len({d.event_id for d in queued}) == 1  # one event, one id, several deliveries


def test_the_body_is_the_envelope_and_the_signature_is_the_contracts():
    hub, clock = hub_with()
    endpoint(hub, clock)
    hub.publish("job.completed", {"jobId": "job_1"}, clock())
    (send,) = hub.due(clock())
    envelope = json.loads(send.body)
    assert (envelope["id"], envelope["type"], envelope["data"]) == (
        send.event_id,
        "job.completed",
        {"jobId": "job_1"},
    )
    assert envelope["id"].startswith("evt_")
    assert len(envelope["id"]) == len("evt_") + 26
    t = int(clock().timestamp())
    expected = hmac.new(b"whsec_s", f"{t}.".encode() + send.body, hashlib.sha256).hexdigest()
    assert send.signature == f"t={t},v1={expected}"


def test_a_failed_attempt_waits_the_next_step_of_the_scaled_ladder_then_is_abandoned():
    hub, clock = hub_with(scale=0.1)
    endpoint(hub, clock)
    (delivery,) = hub.publish("job.completed", {"jobId": "job_1"}, clock())
    waits = []
    for attempt in range(len(LADDER_S)):
        assert answer_all(hub, clock, 503) == [delivery.event_id], attempt
        if delivery.status == "pending":
            waits.append((delivery.next_at - clock()).total_seconds())
            assert hub.due(clock()) == []  # not before its time
            clock.advance(waits[-1])
    assert waits == pytest.approx([s * 0.1 for s in LADDER_S[1:]])
    assert (delivery.status, delivery.attempts) == ("abandoned", len(LADDER_S))


@pytest.mark.parametrize(
    ("status", "final"), [(200, "delivered"), (204, "delivered"), (400, "failed"), (410, "failed")]
)
def test_2xx_delivers_and_4xx_is_not_retried(status, final):
    hub, clock = hub_with()
    endpoint(hub, clock)
    (delivery,) = hub.publish("job.completed", {}, clock())
    answer_all(hub, clock, status)
    assert (delivery.status, delivery.attempts) == (final, 1)
    clock.advance(LADDER_S[-1])
    assert hub.due(clock()) == []


@pytest.mark.parametrize("status", [429, 500, None])
def test_429_5xx_and_no_answer_are_retried(status):
    hub, clock = hub_with()
    endpoint(hub, clock)
    (delivery,) = hub.publish("job.completed", {}, clock())
    answer_all(hub, clock, status)
    assert delivery.status == "pending"
    clock.advance(LADDER_S[1])
    answer_all(hub, clock, 200)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_twenty_failures_in_a_row_pause_the_endpoint():
    hub, clock = hub_with()
    ep = endpoint(hub, clock)
    for n in range(AUTO_PAUSE_AFTER):
        hub.publish("job.completed", {"n": n}, clock())
        answer_all(hub, clock, 500)
    assert ep.status == "auto_paused"
    hub.publish("job.completed", {}, clock())
    clock.advance(LADDER_S[-1])
    assert hub.due(clock()) == []


def test_after_a_rotation_both_secrets_sign_for_24_hours():
    hub, clock = hub_with()
    ep = endpoint(hub, clock)
    hub.rotate(ep, clock())
    assert ep.secret != "whsec_s"
    assert ep.secrets(clock()) == [ep.secret, "whsec_s"]
    hub.publish("job.completed", {}, clock())
    (send,) = hub.due(clock())
    assert send.signature.count("v1=") == 2
    clock.advance(timedelta(hours=24).total_seconds())
    assert ep.secrets(clock()) == [ep.secret]


def test_dropped_events_are_never_sent():
    hub, clock = hub_with(FaultConfig(rate_webhook_drop=1.0))
    endpoint(hub, clock)
    (delivery,) = hub.publish("job.completed", {}, clock())
    assert (delivery.status, delivery.fault) == ("abandoned", "dropped")
    assert hub.due(clock()) == []


def test_a_duplicated_event_is_sent_twice_with_the_same_id_and_body():
    hub, clock = hub_with(FaultConfig(rate_webhook_duplicate=1.0))
    endpoint(hub, clock)
    (delivery,) = hub.publish("job.completed", {}, clock())
    first = hub.due(clock())
    for send in first:
        hub.settle(send, 200, None, clock())
    second = hub.due(clock())
    assert [(s.event_id, s.body) for s in second] == [(s.event_id, s.body) for s in first]
    for send in second:
        hub.settle(send, 200, None, clock())
    assert (delivery.status, delivery.sends, delivery.attempts) == ("delivered", 2, 1)
    assert hub.due(clock()) == []


def test_a_delayed_event_waits_webhook_delay_s():
    hub, clock = hub_with(FaultConfig(rate_webhook_delay=1.0, webhook_delay_s=7))
    endpoint(hub, clock)
    hub.publish("job.completed", {}, clock())
    assert hub.due(clock()) == []
    clock.advance(7)
    assert len(hub.due(clock())) == 1


def test_a_reordered_event_arrives_after_the_next_one():
    faults = [FaultConfig(rate_webhook_reorder=1.0, webhook_delay_s=60)]
    hub, clock = WebhookHub(lambda: faults[0]), ManualClock(START)  # faults read at each event, as at runtime
    endpoint(hub, clock)
    (held,) = hub.publish("job.completed", {"n": 1}, clock())
    faults[0] = FaultConfig()
    (later,) = hub.publish("job.completed", {"n": 2}, clock())
    assert answer_all(hub, clock, 200) == [later.event_id]
    assert answer_all(hub, clock, 200) == [held.event_id]  # released by the later one's delivery


def test_a_reordered_event_with_nothing_after_it_goes_once_its_hold_ends():
    hub, clock = hub_with(FaultConfig(rate_webhook_reorder=1.0, webhook_delay_s=5))
    endpoint(hub, clock)
    hub.publish("job.completed", {}, clock())
    assert hub.due(clock()) == []
    clock.advance(5)
    assert len(hub.due(clock())) == 1


def faults_drawn(seed: int) -> list[str | None]:
    config = FaultConfig(
        seed=seed, rate_webhook_drop=0.3, rate_webhook_duplicate=0.3, rate_webhook_reorder=0.3
    )
    hub, clock = hub_with(config)
    endpoint(hub, clock)
    return [hub.publish("job.completed", {"n": n}, clock())[0].fault for n in range(40)]


def test_the_same_seed_draws_the_same_faults_and_another_seed_others():
    assert faults_drawn(7) == faults_drawn(7)
    assert faults_drawn(7) != faults_drawn(8)
    assert {"dropped", "duplicated", "reordered", None} <= set(faults_drawn(7))


def test_a_reset_forgets_deliveries_and_keeps_endpoints():
    hub, clock = hub_with()
    ep = endpoint(hub, clock)
    hub.publish("job.completed", {}, clock())
    hub.reset()
    assert hub.views() == []
    assert list(hub.endpoints) == [ep.id]


@pytest.mark.parametrize(
    ("name", "camel"),
    [
        ("rate_webhook_drop", "rateWebhookDrop"),
        ("rate_webhook_duplicate", "rateWebhookDuplicate"),
        ("rate_webhook_delay", "rateWebhookDelay"),
        ("rate_webhook_reorder", "rateWebhookReorder"),
    ],
)
def test_the_webhook_fault_rates_are_shares_settable_like_the_others(name, camel):
    with pytest.raises(ValueError, match=name):
        FaultConfig(**{name: 1.5})
    assert getattr(FaultConfig().merged({camel: 0.5}), name) == 0.5
