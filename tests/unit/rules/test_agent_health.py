"""The agent's own health: beat's ticks, the dispatcher, failed and stuck runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.rules.agent_health import Intervals, Pulse, evaluate_agent, stuck_cutoffs

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EVERY = Intervals(dispatch_s=300, sweep_s=60, visibility_timeout_s=3600)


def pulse(dispatch_ago: float | None, sweep_ago: float | None, failed: int = 0, stuck: int = 0) -> Pulse:
    def ago(seconds: float | None) -> datetime | None:
        return None if seconds is None else NOW - timedelta(seconds=seconds)

    return Pulse(NOW, ago(dispatch_ago), ago(sweep_ago), failed, stuck)


def signals(p: Pulse) -> list[str]:
    return [s.signal for s in evaluate_agent(p, EVERY)]


def test_a_healthy_agent_has_no_signal():
    assert signals(pulse(299, 59)) == []
    assert signals(pulse(600, 30)) == []  # exactly two dispatch intervals is still on time


def test_beat_not_seen_when_no_tick_ran_for_two_intervals():
    assert signals(pulse(None, None)) == ["beat_not_seen"]
    assert signals(pulse(601, 601)) == ["beat_not_seen"]


def test_no_dispatch_when_only_the_dispatcher_is_late():
    assert signals(pulse(601, 10)) == ["no_dispatch"]
    assert signals(pulse(None, 10)) == ["no_dispatch"]


def test_failed_and_stuck_runs():
    found = evaluate_agent(pulse(10, 10, failed=2, stuck=1), EVERY)
    assert [(s.signal, s.detail) for s in found] == [
        ("failed_runs", "2 run(s) failed in the last day"),
        ("stuck_runs", "1 run(s) stuck: see `agent runs`"),
    ]


def test_stuck_means_past_the_sweeper_and_the_resend():
    cut = stuck_cutoffs(NOW, EVERY)
    assert cut.lease_lapsed_before == NOW - timedelta(seconds=120)
    assert cut.queued_before == NOW - timedelta(seconds=7200 + 120)
    assert cut.pending_before == NOW - timedelta(seconds=600)
    assert cut.failed_since == NOW - timedelta(days=1)
