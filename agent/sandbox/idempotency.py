"""The Idempotency-Key store (contract §5): one answer per (api key, route, key) for 24 hours."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

TTL = timedelta(hours=24)
IN_FLIGHT_WAIT_S = 10.0


def fingerprint(request: bytes | Mapping[str, Any]) -> str:
    """One answer to "is this the same request?": the SHA-256 of its canonical JSON.

    A raw body is parsed first, so key order and whitespace never count (an empty body and a body
    that is not JSON get their own markers); a mapping is a request already normalised by a handler
    (the clone and generation starts compare their ids without prefixes).
    """
    if isinstance(request, Mapping):
        value: Any = request
    elif not request.strip():
        return "empty"
    else:
        try:
            value = json.loads(request)
        except (ValueError, UnicodeDecodeError):
            return "raw:" + hashlib.sha256(request).hexdigest()
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def cacheable(status: int) -> bool:
    """Transient answers are never replayed: a retry after a 5xx or 429 must run for real."""
    return status < 500 and status != 429


@dataclass(frozen=True)
class StoredResponse:
    """An answer to replay verbatim, plus the witness facts of the request that produced it."""

    status: int
    body: Any
    headers: dict[str, str]
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Entry:
    fingerprint: str
    created_at: datetime
    response: StoredResponse | None = None


@dataclass(frozen=True)
class Begin:
    """`proceed` = run the request, `replay` = answer `response`, `conflict` = 409, `busy` = still running."""

    verdict: Literal["proceed", "replay", "conflict", "busy"]
    response: StoredResponse | None = None


Scope = tuple[str, str, str]


class IdempotencyStore:
    """Thread-safe; a duplicate arriving while the first is running waits for its answer."""

    def __init__(self, ttl: timedelta = TTL, in_flight_wait_s: float = IN_FLIGHT_WAIT_S) -> None:
        self.ttl = ttl
        self.in_flight_wait_s = in_flight_wait_s
        self._entries: dict[Scope, _Entry] = {}
        self._cond = threading.Condition()

    def begin(self, scope: Scope, body_fingerprint: str, now: datetime) -> Begin:
        with self._cond:
            entry = self._live(scope, now)
            if entry is not None and entry.response is None:
                self._cond.wait_for(lambda: self._settled(scope), self.in_flight_wait_s)
                entry = self._live(scope, now)
            if entry is None:
                self._entries[scope] = _Entry(body_fingerprint, now)
                return Begin("proceed")
            if entry.fingerprint != body_fingerprint:
                return Begin("conflict")
            if entry.response is None:
                return Begin("busy")
            return Begin("replay", entry.response)

    def complete(self, scope: Scope, response: StoredResponse) -> None:
        """Record the answer (or forget the key when the answer must not be replayed)."""
        with self._cond:
            entry = self._entries.get(scope)
            if entry is not None and entry.response is None:
                if cacheable(response.status):
                    entry.response = response
                else:
                    del self._entries[scope]
            self._cond.notify_all()

    def abandon(self, scope: Scope) -> None:
        """The request died before answering: let a retry run."""
        with self._cond:
            entry = self._entries.get(scope)
            if entry is not None and entry.response is None:
                del self._entries[scope]
            self._cond.notify_all()

    def _settled(self, scope: Scope) -> bool:
        entry = self._entries.get(scope)
        return entry is None or entry.response is not None

    def _live(self, scope: Scope, now: datetime) -> _Entry | None:
        entry = self._entries.get(scope)
        if entry is not None and now - entry.created_at >= self.ttl:
            del self._entries[scope]
            return None
        return entry

    def clear(self) -> None:
        with self._cond:
            self._entries.clear()
            self._cond.notify_all()
