"""The sandbox's webhook sender: a background thread that settles ended jobs (so their events fire
without waiting for an API request) and POSTs every due delivery, signed, to its endpoint.

One thread sends one delivery at a time, oldest first, so a seed and an event order always give the
same delivery order; the reorder fault is the only thing that changes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from agent.logging import get_logger
from agent.sandbox import settling
from agent.sandbox.clock import Clock
from agent.sandbox.state import SandboxState
from agent.sandbox.webhooks import Send, WebhookHub

log = get_logger(__name__)
TICK_S = 0.02
TIMEOUT_S = 5.0


class WebhookSender:
    def __init__(
        self, hub: WebhookHub, state: Callable[[], SandboxState], clock: Clock, *, tick_s: float = TICK_S
    ) -> None:
        self._hub = hub
        self._state = state
        self._clock = clock
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._http = httpx.Client(timeout=TIMEOUT_S)
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._http is not None:
            self._http.close()
            self._http = None

    def _run(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.deliver_due()
            except Exception:  # a sandbox bug must not silently end every later delivery
                log.exception("sandbox.webhooks_failed")

    def deliver_due(self) -> int:
        """Settle ended jobs and send what is due now; returns how many POSTs were made."""
        if not self._hub.listening():
            return 0
        state = self._state()
        with state.lock:
            settling.settle(state)  # jobs, then reviews and posts (issue 15)
        sends = self._hub.due(self._clock())
        for send in sends:
            status, error = self._post(send)
            self._hub.settle(send, status, error, self._clock())
        return len(sends)

    def _post(self, send: Send) -> tuple[int | None, str | None]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Layers-Webhooks/sandbox",
            "X-Layers-Event-Id": send.event_id,
            "X-Layers-Signature": send.signature,
        }
        assert self._http is not None, "deliveries are sent only while the sender runs"
        try:
            response = self._http.post(send.url, content=send.body, headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None
