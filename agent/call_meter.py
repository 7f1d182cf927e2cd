"""Layers calls counted per run, so capacity is measured on recorded runs rather than guessed.

The client reports every answer through its `on_response` hook (retries, 429s and calls that got no answer
included: each took a quota token). The meter files the call under the run the structlog context names
(`run_id`, bound by the runner around a whole run) or, for a job poll, under the job (`job_id`, bound by
the poller); the next unit of work in that same context writes the counts with the run
(`Services.store`, `agent.store.calls`). A run always ends with a unit of work, and a job poll is always
followed by one, so every call is written, in the transaction that follows it. Calls outside a run or a
job (`agent customers add`, the sweeper's retries) are not customer-day work and are not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from structlog.contextvars import get_contextvars

from agent.layers.routes import endpoint_class_for

RATE_LIMITED = 429


@dataclass(frozen=True)
class Owner:
    """What a call is counted under: a run, or a followed job (whose run the store looks up)."""

    run_id: int | None = None
    job_id: str | None = None


Tally = dict[tuple[str, str, str], tuple[int, int]]  # (method, route, class) -> (calls, 429 answers)


def current_owner() -> Owner | None:
    bound = get_contextvars()
    run_id, job_id = bound.get("run_id"), bound.get("job_id")
    if isinstance(run_id, int):
        return Owner(run_id=run_id)
    if isinstance(job_id, str):
        return Owner(job_id=job_id)
    return None


class CallMeter:
    """Thread-safe: each worker thread's calls wait here, under their owner, until its next unit of work."""

    def __init__(self) -> None:
        self._pending: dict[Owner, Counter[tuple[str, str, bool]]] = {}
        self._lock = threading.Lock()

    def observe(self, method: str, route: str, status: int, elapsed_s: float) -> None:
        """The client's `on_response` hook."""
        owner = current_owner()
        if owner is None:
            return
        with self._lock:
            self._pending.setdefault(owner, Counter())[(method, route, status == RATE_LIMITED)] += 1

    def take(self) -> tuple[Owner, Tally] | None:
        """The counts waiting for the current context's owner, removed from the meter."""
        owner = current_owner()
        if owner is None:
            return None
        with self._lock:
            waiting = self._pending.pop(owner, None)
        if not waiting:
            return None
        tally: Tally = {}
        for (method, route, limited), n in waiting.items():
            key = (method, route, endpoint_class_for(method, route).value)
            calls, refused = tally.get(key, (0, 0))
            tally[key] = (calls + n, refused + (n if limited else 0))
        return owner, tally
