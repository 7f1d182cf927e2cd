"""The runs this worker process is running, and the thread that keeps their leases alive.

A run's lease (`RUN_STALE_AFTER_S`) is renewed every third of it while its task runs, so it lapses only
when its worker is gone (killed, or cut off from PostgreSQL): the sweeper then hands the run on within one
lease and one sweep, instead of after the longest a run could ever take.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agent.logging import get_logger
from agent.services import Services

log = get_logger(__name__)


class HeldRuns:
    def __init__(self, services: Callable[[], Services]) -> None:
        self._services = services
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    @contextmanager
    def holding(self, run_id: int) -> Iterator[None]:
        """While the block runs, this run's lease is renewed (if this worker holds it)."""
        with self._lock:
            self._held.add(run_id)
            self._start()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(run_id)

    def renew(self) -> int:
        """Renew the leases of the runs held now; returns how many were held."""
        with self._lock:
            held = sorted(self._held)
        if held:
            services = self._services()
            with services.store() as store:
                store.renew_run_leases(
                    run_ids=held, now=services.now(), lease_s=services.settings.run_stale_after_s
                )
        return len(held)

    def _start(self) -> None:
        """One renewing thread per process (a forked child starts its own)."""
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        interval = max(1.0, self._services().settings.run_stale_after_s / 3)
        self._pid = os.getpid()
        self._thread = threading.Thread(
            target=self._renew_forever, args=(interval,), name="run-leases", daemon=True
        )
        self._thread.start()

    def _renew_forever(self, interval: float) -> None:
        stop = threading.Event()  # never set: the thread ends with its process
        while not stop.wait(interval):
            try:
                self.renew()
            except Exception as exc:  # a database outage: the leases may lapse, the sweeper hands the runs on
                log.warning("run_leases_not_renewed", error=type(exc).__name__)
