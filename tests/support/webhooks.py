"""The webhook receiver served for real (uvicorn on a free port, in a thread of the test), deliveries
signed the way the sandbox signs them, and a bare recording endpoint for tests of the sandbox's sender."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from agent.sandbox.webhooks import sign
from agent.store.db import Database
from agent.webhooks.receiver import PATH, Receiver, create_app
from tests.support.asgi import serve_asgi

SECRET = "whsec_test_SENTINELsigning"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_receiver(
    db: Database,
    enqueue: Callable[[int], None] = lambda _: None,
    *,
    secrets: tuple[str, ...] = (SECRET,),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[str]:
    """The receiver app on uvicorn in a background thread; yields the delivery URL."""
    receiver = Receiver(tuple(SecretStr(s) for s in secrets), db, enqueue, clock)
    with serve_asgi(create_app(receiver), name="receiver") as url:
        yield f"{url}{PATH}"


EVENT_ID = "evt_01KPM7QZEC6NJF4XJTCZRR6S3N"


def event(event_id: str = EVENT_ID, type: str = "test.ping", **data: Any) -> bytes:
    """A delivery body (CONTRACT §23.2)."""
    return json.dumps({"id": event_id, "type": type, "data": data}, separators=(",", ":")).encode()


def signed_headers(
    body: bytes, *, event_id: str | None = EVENT_ID, secret: str = SECRET, at: float | None = None
) -> dict[str, str]:
    """The headers the sandbox sends: the signature over the raw body at `at` (now), and the event id."""
    t = int(time.time() if at is None else at)
    headers = {"Content-Type": "application/json", "X-Layers-Signature": sign(body, [secret], t)}
    if event_id is not None:
        headers["X-Layers-Event-Id"] = event_id
    return headers


def deliver(url: str, body: bytes, *, secret: str = SECRET, at: float | None = None) -> httpx.Response:
    """POST an event body as the sandbox would: signed, with its own id as X-Layers-Event-Id."""
    headers = signed_headers(body, event_id=json.loads(body)["id"], secret=secret, at=at)
    return httpx.post(url, content=body, headers=headers)


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Recorder:
    """A bare HTTP endpoint that records every delivery and answers the statuses it is told, in order
    (then 200): a stand-in receiver for tests of the sender."""

    def __init__(self, statuses: tuple[int, ...] = ()) -> None:
        self.received: list[Received] = []
        self.statuses = list(statuses)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(recorder.statuses.pop(0) if recorder.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02})
        self._thread.start()

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        return [r.event for r in self.received if type in (None, r.event["type"])]

    def wait_for(self, count: int, type: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events(type)) < count:
            assert time.monotonic() < deadline, f"{len(self.events(type))} of {count} {type or ''} deliveries"
            time.sleep(0.02)
        return self.events(type)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def wait_for(predicate: Callable[[], T | None], *, what: str, timeout: float = 30) -> T:
    """The first truthy value of `predicate`, polled every 50 ms."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.05)
    return value
