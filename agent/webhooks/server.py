"""`agent webhooks`: the receiver served by uvicorn, handing each new event to the worker through Celery."""

from __future__ import annotations

import queue
import socket
import threading
import time

import uvicorn

from agent.config import Settings
from agent.logging import configure_logging, get_logger
from agent.services import utc_now
from agent.store.db import Database
from agent.webhooks.receiver import Receiver, create_app

log = get_logger(__name__)
TASK = "agent.process_webhooks"
PAUSE_AFTER_FAILURE_S = 30.0  # a broker that failed is not asked again this long: the sweep covers it
BACKLOG = 10_000


class CeleryHandOff:
    """Sends `agent.process_webhooks(row_id)` from one thread of its own, so a slow or dead broker never
    holds a request thread. Best effort by design: an event that is not handed off (broker down, backlog
    full, process stopped) is committed all the same, and beat's sweep processes it."""

    def __init__(self, settings: Settings, *, pause_s: float = PAUSE_AFTER_FAILURE_S) -> None:
        from agent.worker.app import create_app as create_celery

        self._celery = create_celery(settings)
        self._pause_s = pause_s
        self._queue: queue.Queue[int | None] = queue.Queue(maxsize=BACKLOG)
        self._thread = threading.Thread(target=self._run, name="webhook-hand-off", daemon=True)
        self._thread.start()

    def __call__(self, row_id: int) -> None:
        try:
            self._queue.put_nowait(row_id)
        except queue.Full:
            log.warning("webhook_hand_off_full", row_id=row_id)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        paused_until = 0.0
        while (row_id := self._queue.get()) is not None:
            if time.monotonic() < paused_until:
                continue
            try:
                self._celery.send_task(TASK, args=[row_id], retry=False)
            except Exception as exc:  # the row is committed; the sweep picks it up
                log.warning("webhook_enqueue_failed", row_id=row_id, error=type(exc).__name__)
                paused_until = time.monotonic() + self._pause_s


def serve(settings: Settings, listener: socket.socket) -> None:
    """Serve on `listener` (bound by the caller, so a busy port is reported before anything starts) until
    SIGINT or SIGTERM, which uvicorn handles."""
    configure_logging(settings.log_level, settings.log_format)  # a service logs at its configured level
    db = Database.from_url(settings.database_url)
    hand_off = CeleryHandOff(settings)
    receiver = Receiver(settings.webhook_secrets(), db, hand_off, utc_now)
    host, port = listener.getsockname()[:2]
    log.info("webhooks.listening", host=host, port=port, secrets=len(receiver.secrets))
    config = uvicorn.Config(create_app(receiver), log_config=None, access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        hand_off.close()
        db.dispose()
