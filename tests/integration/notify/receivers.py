"""Real protocol endpoints for the notification tests, on this machine: an HTTP server that takes Apprise's
JSON webhooks, and an SMTP server (aiosmtpd) that takes its e-mails. Each records what it received."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

WEBHOOK_SECRET = "hooktokenSENTINEL42"  # a path token, as Slack-style webhook URLs carry
SMTP_PASSWORD = "smtpSENTINELpassword"  # never checked by the test server; it must still never leak


@dataclass
class Posted:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class JsonReceiver:
    port: int
    received: list[Posted] = field(default_factory=list)
    failing: bool = False  # answer 503 while set

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hooks/{WEBHOOK_SECRET}"

    def ids(self) -> list[str]:
        return [p.headers["x-notification-ids"] for p in self.received]


@contextmanager
def json_receiver() -> Iterator[JsonReceiver]:
    receiver = JsonReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if receiver.failing:
                self.send_response(503)
            else:
                receiver.received.append(Posted({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="json-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SmtpReceiver:
    port: int
    received: list[Message] = field(default_factory=list)

    @property
    def url(self) -> str:
        return (
            f"mailto://agent:{SMTP_PASSWORD}@127.0.0.1:{self.port}"
            "?from=agent@example.com&to=ops@example.com&mode=insecure&smtp=127.0.0.1"
        )

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["X-Notification-Ids"]) for m in self.received]


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = SmtpReceiver(port)
    controller = Controller(
        receiver,
        hostname="127.0.0.1",
        port=port,
        authenticator=lambda *_: AuthResult(success=True),
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
