"""Sandbox time: the wall clock by default, a hand-driven clock for tests, and a job clock that can stall."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def iso(moment: datetime) -> str:
    """The API's timestamp spelling: UTC, milliseconds, `Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """Window bounds are echoed without fractions, as in the contract's examples."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """Moves only when told to, so tests decide when jobs finish and rate-limit windows roll over."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


class JobClock:
    """Job time: sandbox time minus every stretch during which jobs were stalled (contract §26).

    Stalls are kept as (job-time point, real duration) pairs so a job-time instant maps back to the
    sandbox-time instant at which it happened, which is what `finishedAt` reports.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._stalls: list[tuple[datetime, timedelta]] = []
        self._stalled_at: datetime | None = None
        self._lock = threading.Lock()

    def _total(self) -> timedelta:
        return sum((d for _, d in self._stalls), timedelta())

    def now(self) -> datetime:
        with self._lock:
            moment = self._stalled_at if self._stalled_at is not None else self._clock()
            return moment - self._total()

    def to_real(self, job_time: datetime) -> datetime:
        with self._lock:
            return job_time + sum((d for point, d in self._stalls if point < job_time), timedelta())

    def set_stalled(self, stalled: bool) -> None:
        with self._lock:
            real = self._clock()
            if stalled and self._stalled_at is None:
                self._stalled_at = real
            elif not stalled and self._stalled_at is not None:
                point = self._stalled_at - self._total()
                self._stalls.append((point, real - self._stalled_at))
                self._stalled_at = None
