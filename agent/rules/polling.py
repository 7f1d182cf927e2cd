"""When to poll a Layers job next: pure, so the poller, the submission and the tests agree on one schedule.

The docs recommend 2 s, then x1.3 per poll, capped at 10 s. Jobs of a kind take about as long as the last
ones did, so the first poll waits for the median duration of recent jobs of that kind (an earlier poll would
mostly find the job still running); the docs' backoff starts after it. While webhooks arrive, a job's end
comes by webhook and polls are only a backstop, one every `backstop_s`. The deadline is always polled: a
job is timed out only by a poll made after it, and a timed-out job is still reconciled every `reconcile_s`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

RECENT_JOBS = 50  # completions of a kind the expected duration is the median of
MIN_SAMPLES = 3  # fewer than this: no expectation yet, the docs' first step


@dataclass(frozen=True)
class PollSchedule:
    initial_s: float  # the docs' first step (JOB_POLL_INITIAL_S)
    multiplier: float
    max_s: float
    backstop_s: float  # the interval while webhooks arrive
    reconcile_s: float  # the interval of a timed-out job


def expected_duration_s(durations: Sequence[float]) -> float | None:
    """The median of recent completions of a kind, once there are enough of them."""
    usable = [d for d in durations if d >= 0]
    return statistics.median(usable) if len(usable) >= MIN_SAMPLES else None


def webhooks_healthy(last_received_at: datetime | None, now: datetime, fresh_s: float) -> bool:
    """Webhooks count as flowing when one arrived within `fresh_s` (0: never rely on them)."""
    return (
        fresh_s > 0 and last_received_at is not None and (now - last_received_at).total_seconds() <= fresh_s
    )


def first_delay_s(
    schedule: PollSchedule, *, expected_s: float | None, healthy: bool, timeout_s: float
) -> float:
    """From submission to the first poll: the expected duration (else the docs' first step), plus the
    backstop while webhooks arrive; never after the deadline."""
    delay = expected_s if expected_s is not None and expected_s > 0 else schedule.initial_s
    if healthy:
        delay += schedule.backstop_s
    return min(delay, timeout_s)


def next_interval_s(schedule: PollSchedule, *, polls: int, previous_s: float, healthy: bool) -> float:
    """After a poll that found the job running; `polls` counts the polls before that one."""
    if healthy:
        return schedule.backstop_s
    if polls == 0:
        return schedule.initial_s
    return min(previous_s * schedule.multiplier, schedule.max_s)


def next_poll_at(now: datetime, *, delay_s: float, deadline_at: datetime) -> datetime:
    """The next poll, pulled in to the deadline so that the deadline poll is never late."""
    at = now + timedelta(seconds=delay_s)
    return min(at, deadline_at) if now < deadline_at else at
