"""The webhook receiver (ASGI, Starlette): `POST /webhooks/layers` keeps each verified event in the inbox
and answers fast; `GET /healthz` says whether the database answers.

Order of the checks: the size (413, before reading more than 1 MiB), the signature on the raw bytes
(401, nothing stored), the JSON (400), then the commit. The answer is 2xx only once the event is
committed, and the hand-off to the worker happens after the answer, so a Redis outage never turns a kept
event into a retry: beat's sweep finds any event left unprocessed. Neither the body nor the signature
header is ever logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agent.logging import get_logger
from agent.store import inbox
from agent.store.db import Database
from agent.webhooks.signature import Verdict, verify

log = get_logger(__name__)

PATH = "/webhooks/layers"
MAX_BODY_BYTES = 1024 * 1024
MAX_ID_CHARS = 64  # webhook_events.event_id and .type


@dataclass(frozen=True)
class Receiver:
    """What the receiver needs: the secrets it accepts, the inbox's database, the hand-off, the clock."""

    secrets: Sequence[SecretStr]
    db: Database
    enqueue: Callable[[int], None]
    clock: Callable[[], datetime]

    def __repr__(self) -> str:
        return f"Receiver(secrets={len(self.secrets)} configured)"


def create_app(receiver: Receiver) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        return await _receive(receiver, request)

    async def healthz(_: Request) -> JSONResponse:
        try:
            await run_in_threadpool(receiver.db.ping)
        except Exception as exc:  # any failure is "unhealthy"; the cause goes to the log
            log.warning("webhooks_unhealthy", error=type(exc).__name__)
            return JSONResponse({"ok": False}, status_code=503)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"]), Route("/healthz", healthz)])


def _error(status: int, code: str, message: str) -> JSONResponse:
    log.warning("webhook_refused", status=status, code=code, reason=message)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _receive(receiver: Receiver, request: Request) -> JSONResponse:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _error(413, "PAYLOAD_TOO_LARGE", "The body is over 1 MiB.")
    body = await _read(request)
    if body is None:
        return _error(413, "PAYLOAD_TOO_LARGE", "The body is over 1 MiB.")
    now = receiver.clock()
    verdict = verify(body, request.headers.get("x-layers-signature"), receiver.secrets, now=now.timestamp())
    if verdict is not Verdict.VALID:
        return _error(401, "BAD_SIGNATURE", f"X-Layers-Signature refused: {verdict}.")
    try:
        event_id, event = _event(body, request.headers.get("x-layers-event-id"))
    except Malformed as exc:
        return _error(400, "MALFORMED", str(exc))
    try:
        row_id = await run_in_threadpool(_store, receiver.db, event_id, event, now)
    except Exception as exc:  # not kept, whatever the cause: the sender must try again
        # the class only: a database error's text would carry the body as its parameters
        log.error("webhook_not_stored", event_id=event_id, error=type(exc).__name__)
        return _error(503, "UNAVAILABLE", "The event could not be stored; retry later.")
    log.info("webhook_received", event_id=event_id, type=event["type"], duplicate=row_id is None)
    hand_off = BackgroundTask(receiver.enqueue, row_id) if row_id is not None else None
    return JSONResponse({"received": True, "duplicate": row_id is None}, background=hand_off)


async def _read(request: Request) -> bytes | None:
    """The raw body, or None as soon as it grows past the limit (whatever Content-Length said)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Malformed(ValueError):
    """The body is not an event: what is wrong with it, in one sentence."""


def _event(body: bytes, header_id: str | None) -> tuple[str, dict[str, Any]]:
    """The event id and the envelope; NaN and Infinity are refused like any non-JSON (PostgreSQL would)."""
    try:
        event = json.loads(body, parse_constant=_refuse_constant)
    except ValueError:
        raise Malformed("The body is not JSON.") from None
    if not isinstance(event, dict):
        raise Malformed("The body is not a JSON object.")
    event_id = header_id or event.get("id")
    if not isinstance(event.get("type"), str) or not 0 < len(event["type"]) <= MAX_ID_CHARS:
        raise Malformed("The event has no type.")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID_CHARS:
        raise Malformed("The event has no id (X-Layers-Event-Id).")
    if event.get("id") not in (None, event_id):
        raise Malformed("The body's id is not X-Layers-Event-Id.")
    return event_id, event


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _store(db: Database, event_id: str, event: dict[str, Any], now: datetime) -> int | None:
    """Committed before the answer: the row id of a new event, None for one already kept."""
    with db.session() as session:
        return inbox.store_event(session, event_id=event_id, type=str(event["type"]), payload=event, now=now)
