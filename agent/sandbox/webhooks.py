"""Webhooks (contract §22-23): registered endpoints, signed events, and their deliveries on the §23.4
retry ladder, with faults that drop, duplicate, delay and reorder deliveries.

The hub only keeps records and decides what is due; `webhook_delivery` sends over HTTP. It outlives
`Sandbox.reset()` (endpoints are configuration, like the API keys), which only forgets deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.faults import FaultConfig

CATALOG = (
    "job.completed", "job.failed", "job.canceled", "content.generated", "content.approved",
    "content.rejected", "post.scheduled", "post.published", "post.failed", "post.canceled",
    "social_account.connected", "social_account.needs_reauth", "social_account.revoked",
    "lease_request.assigned", "lease_request.rejected", "test.ping",
)  # fmt: skip
LADDER_S = (0, 30, 60, 300, 900, 3600, 21600, 86400)  # the eight attempts of §23.4
AUTO_PAUSE_AFTER = 20  # consecutive failed attempts
SECRET_OVERLAP = timedelta(hours=24)  # the previous secret still signs after a rotation


def sign(body: bytes, secrets_in_use: Sequence[str], t: int) -> str:
    """`X-Layers-Signature` (§23.3): `t=<unix>` and one `v1=` per active secret, over `f"{t}.{body}"`."""
    message = f"{t}.".encode() + body
    signatures = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets_in_use]
    return ",".join([f"t={t}", *(f"v1={s}" for s in signatures)])


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(24)}"


@dataclass
class Endpoint:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime
    description: str | None = None
    project_id: str | None = None
    status: str = "active"
    previous_secret: str | None = None
    previous_expires_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    consecutive_failures: int = 0

    def secrets(self, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous one during the overlap."""
        previous, expires = self.previous_secret, self.previous_expires_at
        return [self.secret, previous] if previous and expires and now < expires else [self.secret]

    def view(self, organization_id: str) -> dict[str, Any]:
        """The endpoint object of §22.1, never with a secret in it."""
        return {
            "id": self.id,
            "organizationId": organization_id,
            "projectId": ids.encode("project", self.project_id),
            "url": self.url,
            "description": self.description,
            "status": self.status,
            "events": list(self.events),
            "apiVersion": "v1",
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.created_at),
            "lastSuccessAt": iso(self.last_success_at) if self.last_success_at else None,
            "lastFailureAt": iso(self.last_failure_at) if self.last_failure_at else None,
            "consecutiveFailureCount": self.consecutive_failures,
        }


@dataclass
class Delivery:
    """One event on its way to one endpoint. `fault` says which delivery fault was drawn for it."""

    id: str
    seq: int
    endpoint_id: str
    event_id: str
    event_type: str
    body: bytes
    created_at: datetime
    next_at: datetime
    status: str = "pending"
    attempts: int = 0
    sends: int = 0  # POSTs made, duplicates included
    fault: str | None = None
    held_until: datetime | None = None  # reorder: waits for a later delivery to go first
    duplicate_due: bool = False
    last_response_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    abandoned_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpointId": self.endpoint_id,
            "eventId": self.event_id,
            "eventType": self.event_type,
            "status": self.status,
            "attempts": self.attempts,
            "nextRetryAt": iso(self.next_at) if self.status == "pending" else None,
            "deliveredAt": iso(self.delivered_at) if self.delivered_at else None,
            "abandonedAt": iso(self.abandoned_at) if self.abandoned_at else None,
            "lastResponseStatus": self.last_response_status,
            "lastErrorMessage": self.last_error,
            "createdAt": iso(self.created_at),
            "sandboxFault": self.fault,
            "sandboxSends": self.sends,
        }


@dataclass(frozen=True)
class Send:
    """One POST to make now."""

    delivery_id: str
    url: str
    event_id: str
    body: bytes
    signature: str


@dataclass
class WebhookHub:
    """Thread-safe. `faults` is read at each event, so runtime fault changes apply to the next one."""

    faults: Callable[[], FaultConfig]
    time_scale: float = 1.0
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _seq: Iterator[int] = field(default_factory=itertools.count)

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def reset(self) -> None:
        """Forget every delivery; registered endpoints stay."""
        with self._lock:
            self.deliveries.clear()

    # ---- endpoints (§22) --------------------------------------------------------------------------

    def create(
        self,
        *,
        url: str,
        events: Sequence[str],
        now: datetime,
        description: str | None = None,
        project_id: str | None = None,
        secret: str | None = None,
    ) -> Endpoint:
        endpoint = Endpoint(
            id=ids.new_uuid(),
            url=url,
            events=tuple(dict.fromkeys(events)),
            secret=secret or new_secret(),
            created_at=now,
            description=description,
            project_id=project_id,
        )
        with self._lock:
            self.endpoints[endpoint.id] = endpoint
        return endpoint

    def rotate(self, endpoint: Endpoint, now: datetime) -> None:
        """A new secret; the old one keeps signing for 24 hours (both `v1=` are sent meanwhile)."""
        with self._lock:
            endpoint.previous_secret, endpoint.secret = endpoint.secret, new_secret()
            endpoint.previous_expires_at = now + SECRET_OVERLAP

    def listening(self) -> bool:
        with self._lock:
            return bool(self.endpoints)

    # ---- events and deliveries (§23) --------------------------------------------------------------

    def publish(
        self, type: str, data: dict[str, Any], now: datetime, *, only: Endpoint | None = None
    ) -> list[Delivery]:
        """Queue an event for every endpoint subscribed to it (or for `only`, as the test route does)."""
        event_id = f"evt_{ids.ulid()}"
        envelope = {"id": event_id, "type": type, "createdAt": iso(now), "apiVersion": "v1", "data": data}
        body = json.dumps(envelope, separators=(",", ":")).encode()
        project = data.get("projectId")
        queued = []
        with self._lock:
            targets = [only] if only else [e for e in self.endpoints.values() if _wants(e, type, project)]
            for endpoint in targets:
                delivery = Delivery(
                    ids.new_uuid(), next(self._seq), endpoint.id, event_id, type, body, now, now
                )
                self._draw_fault(delivery, now)
                self.deliveries[delivery.id] = delivery
                queued.append(delivery)
        return queued

    def _draw_fault(self, delivery: Delivery, now: datetime) -> None:
        """Four draws per delivery whatever is enabled, so a seed gives the same faults every run."""
        config = self.faults()
        u_drop, u_duplicate, u_delay, u_reorder = (self._rng.random() for _ in range(4))
        hold = timedelta(seconds=config.webhook_delay_s)
        if u_drop < config.rate_webhook_drop:
            delivery.fault, delivery.status, delivery.abandoned_at = "dropped", "abandoned", now
        elif u_reorder < config.rate_webhook_reorder:
            delivery.fault, delivery.held_until = "reordered", now + hold
        elif u_delay < config.rate_webhook_delay:
            delivery.fault, delivery.next_at = "delayed", now + hold
        elif u_duplicate < config.rate_webhook_duplicate:
            delivery.fault, delivery.duplicate_due = "duplicated", True

    def due(self, now: datetime) -> list[Send]:
        """The POSTs to make now, oldest first; each is marked `delivering` until `settle` hears back."""
        sends = []
        with self._lock:
            for delivery in sorted(self.deliveries.values(), key=lambda d: (d.next_at, d.seq)):
                endpoint = self.endpoints.get(delivery.endpoint_id)
                if endpoint is None or endpoint.status != "active" or not _ready(delivery, now):
                    continue
                if delivery.status == "delivered":
                    delivery.duplicate_due = False  # the same event, once more
                else:
                    delivery.status = "delivering"
                signature = sign(delivery.body, endpoint.secrets(now), int(now.timestamp()))
                sends.append(Send(delivery.id, endpoint.url, delivery.event_id, delivery.body, signature))
        return sends

    def settle(self, send: Send, status: int | None, error: str | None, now: datetime) -> None:
        """Record an attempt's answer: 2xx delivered, 4xx (not 429) failed, else the next ladder step."""
        with self._lock:
            delivery = self.deliveries.get(send.delivery_id)
            if delivery is None:  # forgotten by a reset meanwhile
                return
            endpoint = self.endpoints[delivery.endpoint_id]
            delivery.sends += 1
            if delivery.status == "delivered":  # the duplicate of a delivered event went out
                return
            delivery.attempts += 1
            delivery.last_response_status, delivery.last_error = status, error
            if status is not None and 200 <= status < 300:
                delivery.status, delivery.delivered_at = "delivered", now
                endpoint.last_success_at, endpoint.consecutive_failures = now, 0
                self._release_held(delivery)
                return
            endpoint.last_failure_at = now
            endpoint.consecutive_failures += 1
            if endpoint.consecutive_failures >= AUTO_PAUSE_AFTER:
                endpoint.status = "auto_paused"
            if status is not None and 400 <= status < 500 and status != 429:
                delivery.status = "failed"
            elif delivery.attempts >= len(LADDER_S):
                delivery.status, delivery.abandoned_at = "abandoned", now
            else:
                delivery.status = "pending"
                wait_s = LADDER_S[delivery.attempts] * self.time_scale
                delivery.next_at = now + timedelta(seconds=wait_s)

    def _release_held(self, sent: Delivery) -> None:
        """A later event reached the endpoint first: the earlier ones held back for it may go now."""
        for held in self.deliveries.values():
            if held.held_until is not None and held.endpoint_id == sent.endpoint_id and held.seq < sent.seq:
                held.held_until = None

    def views(self, *, endpoint_id: str | None = None) -> list[dict[str, Any]]:
        """Deliveries, newest first."""
        with self._lock:
            chosen = [d for d in self.deliveries.values() if endpoint_id in (None, d.endpoint_id)]
            return [d.view() for d in sorted(chosen, key=lambda d: d.created_at, reverse=True)]


def _wants(endpoint: Endpoint, type: str, project_id: Any) -> bool:
    if type not in endpoint.events:
        return False
    return endpoint.project_id is None or ids.encode("project", endpoint.project_id) == project_id


def _ready(delivery: Delivery, now: datetime) -> bool:
    if delivery.status == "delivered":
        return delivery.duplicate_due
    if delivery.status != "pending" or delivery.next_at > now:
        return False
    return delivery.held_until is None or delivery.held_until <= now
