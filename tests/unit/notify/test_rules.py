"""The notification rules: which decisions notify, routing, digests, backoff, signal changes, messages."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from agent.domain.notifications import OpenSignal, Outgoing
from agent.domain.vocabulary import Action, NotifyEvent, Reason
from agent.rules.health import SIGNAL_JOB_FAILURES, SIGNAL_NO_RECENT_POSTS, Signal
from agent.rules.notify import (
    Route,
    due_at,
    event_for,
    idempotency_key,
    message_for,
    retry_delay_s,
    routes_for,
    signal_changes,
    signal_event,
)

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "reason", "event"),
    [
        (Action.PENDING_APPROVAL, Reason.CHANGES_BRAND_CONFIGURATION, NotifyEvent.PROPOSAL_WAITING),
        (Action.FLAG, Reason.SPEND_WITHOUT_CONVERSIONS, NotifyEvent.SPEND_WITHOUT_CONVERSIONS),
        (Action.ERROR, Reason.ATTEMPTS_EXHAUSTED, NotifyEvent.ATTEMPTS_EXHAUSTED),
        (Action.ERROR, Reason.LAYERS_ACCESS_DENIED, NotifyEvent.RUN_FAILED),
        (Action.CLONE, Reason.BREAKOUT, None),
        (Action.ACT, Reason.AUTO_APPROVED_BY_POLICY, None),  # approved in advance: nothing waits
        (Action.SKIP, Reason.NOT_BREAKOUT, None),
    ],
)
def test_which_decisions_notify(action, reason, event):
    assert event_for(action, reason) is event


def test_routes_pick_channels_by_event_and_customer():
    routes = [
        Route("ops"),
        Route("acme", customers=frozenset({"acme-coffee"})),
        Route("pager", events=frozenset({NotifyEvent.RUN_FAILED, NotifyEvent.ATTEMPTS_EXHAUSTED})),
    ]
    acme = {"1", "Acme Coffee", "acme-coffee", "prj_1"}
    other = {"2", "Pixel Pets", "prj_2"}
    assert [r.channel for r in routes_for(NotifyEvent.RUN_FAILED, acme, routes)] == ["ops", "acme", "pager"]
    assert [r.channel for r in routes_for(NotifyEvent.PROPOSAL_WAITING, other, routes)] == ["ops"]


def test_a_digest_is_due_at_the_next_digest_time():
    assert due_at(Route("ops"), NOW) == NOW
    assert due_at(Route("d", digest_at=time(20, 0)), NOW) == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert due_at(Route("d", digest_at=time(8, 0)), NOW) == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert due_at(Route("d", digest_at=time(18, 0)), NOW) == datetime(2026, 11, 29, 18, 0, tzinfo=UTC)


def test_backoff_doubles_and_is_capped():
    assert [retry_delay_s(n, base_s=30, max_s=200) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def signal(customer: int, name: str, detail: str = "x") -> Signal:
    return Signal(customer, f"c{customer}", name, detail)


def test_a_signal_opens_once_stays_quiet_while_open_and_clears_once():
    first = signal_changes([signal(1, SIGNAL_NO_RECENT_POSTS)], [])
    assert [(s.customer_id, s.signal) for s in first.opened] == [(1, SIGNAL_NO_RECENT_POSTS)]
    opened = OpenSignal(7, 1, SIGNAL_NO_RECENT_POSTS, "x", NOW)
    still = signal_changes([signal(1, SIGNAL_NO_RECENT_POSTS)], [opened])
    assert still.opened == []
    assert still.cleared == []
    gone = signal_changes([], [opened])
    assert gone.opened == []
    assert gone.cleared == [opened]


def test_several_days_over_the_job_failure_threshold_are_one_spike():
    firing = [signal(1, SIGNAL_JOB_FAILURES, "4 on day 1"), signal(1, SIGNAL_JOB_FAILURES, "5 on day 2")]
    (opened,) = signal_changes(firing, []).opened
    assert opened.detail == "5 on day 2"
    assert signal_event(SIGNAL_JOB_FAILURES) is NotifyEvent.JOB_FAILURE_SPIKE
    assert signal_event(SIGNAL_NO_RECENT_POSTS) is NotifyEvent.HEALTH_SIGNAL


def outgoing(row_id: int, *, digest: bool = False) -> Outgoing:
    return Outgoing(
        row_id,
        "ops",
        NotifyEvent.RUN_FAILED,
        f"title {row_id}",
        f"body {row_id}",
        "http://w/d/1",
        digest,
        1,
        NOW,
    )


def test_a_message_carries_its_rows_ids_and_a_stable_key():
    single = message_for("ops", [outgoing(17)])
    assert single.notification_ids == (17,)
    assert single.idempotency_key == "notification-17"
    assert "#17" in single.body
    assert "http://w/d/1" in single.body
    assert single.title == "title 17"
    digest = message_for("ops", [outgoing(3, digest=True), outgoing(4, digest=True)])
    assert digest.notification_ids == (3, 4)
    assert "#3 title 3" in digest.body
    assert "#4 title 4" in digest.body
    assert digest.idempotency_key == idempotency_key([4, 3]) != idempotency_key([3, 5])
