"""The agent's own health, as a pure verdict over its pulse: beat's ticks, the dispatcher, and runs that
failed or are stuck. `agent health` reports these next to the Layers-side signals (`agent.rules.health`).

A tick leaves a heartbeat when it ran to the end, so silence for two intervals means beat (or every
worker) is down, or the tick keeps failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SIGNAL_BEAT_NOT_SEEN = "beat_not_seen"
SIGNAL_NO_DISPATCH = "no_dispatch"
SIGNAL_FAILED_RUNS = "failed_runs"
SIGNAL_STUCK_RUNS = "stuck_runs"
MISSED_TICKS = 2  # a tick is late once two of its intervals passed without it
FAILED_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Intervals:
    dispatch_s: float
    sweep_s: float
    visibility_timeout_s: float


@dataclass(frozen=True)
class StuckCutoffs:
    """A run is stuck when it waits past these: its lease lapsed and no sweep handed it on, it was sent
    and no worker took it even after the sweeper's resend, or it was never sent."""

    lease_lapsed_before: datetime
    queued_before: datetime
    pending_before: datetime
    failed_since: datetime


def stuck_cutoffs(now: datetime, intervals: Intervals) -> StuckCutoffs:
    sweeps = timedelta(seconds=MISSED_TICKS * intervals.sweep_s)
    return StuckCutoffs(
        lease_lapsed_before=now - sweeps,
        queued_before=now - timedelta(seconds=2 * intervals.visibility_timeout_s) - sweeps,
        pending_before=now - timedelta(seconds=MISSED_TICKS * intervals.dispatch_s),
        failed_since=now - FAILED_WINDOW,
    )


@dataclass(frozen=True)
class Pulse:
    now: datetime
    last_dispatch: datetime | None
    last_sweep: datetime | None
    failed_runs: int  # failed within FAILED_WINDOW
    stuck_runs: int  # past the StuckCutoffs


@dataclass(frozen=True)
class AgentSignal:
    signal: str
    detail: str


def _ago(now: datetime, then: datetime) -> str:
    minutes = (now - then).total_seconds() / 60
    return f"{minutes:.0f} min ago" if minutes < 120 else f"{minutes / 60:.1f} h ago"


def evaluate_agent(pulse: Pulse, intervals: Intervals) -> list[AgentSignal]:
    signals: list[AgentSignal] = []
    now = pulse.now
    late_sweep = timedelta(seconds=MISSED_TICKS * intervals.sweep_s)
    late_dispatch = timedelta(seconds=MISSED_TICKS * intervals.dispatch_s)
    ticks = [t for t in (pulse.last_dispatch, pulse.last_sweep) if t is not None]
    if not ticks or now - max(ticks) > max(late_sweep, late_dispatch):
        seen = f"last tick {_ago(now, max(ticks))}" if ticks else "no tick ever ran to the end"
        signals.append(AgentSignal(SIGNAL_BEAT_NOT_SEEN, f"{seen}: is `agent beat` running, with a worker?"))
    elif pulse.last_dispatch is None or now - pulse.last_dispatch > late_dispatch:
        seen = f"last ran {_ago(now, pulse.last_dispatch)}" if pulse.last_dispatch else "never ran"
        signals.append(
            AgentSignal(
                SIGNAL_NO_DISPATCH, f"the dispatcher {seen} (every {intervals.dispatch_s:.0f} s expected)"
            )
        )
    if pulse.failed_runs:
        signals.append(AgentSignal(SIGNAL_FAILED_RUNS, f"{pulse.failed_runs} run(s) failed in the last day"))
    if pulse.stuck_runs:
        signals.append(AgentSignal(SIGNAL_STUCK_RUNS, f"{pulse.stuck_runs} run(s) stuck: see `agent runs`"))
    return signals
