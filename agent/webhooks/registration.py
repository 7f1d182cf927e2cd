"""Registering the agent's receiver at Layers (CONTRACT §22.1), idempotently, and rotating its secret.

The create request's Idempotency-Key is derived from the URL and the events, so running `register` twice
replays the first answer instead of creating a second endpoint; past the key's 24-hour window, the
endpoint is found by its URL in the list first. The events are the ones the agent handles.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from agent.layers import errors
from agent.layers.client import LayersClient
from agent.layers.webhooks import RotatedWebhookSecret, WebhookEndpoint
from agent.loops.webhook_events import HANDLERS

KEY_NAMESPACE = uuid.UUID("0b6f4c1e-3d5a-4e8b-9f21-7a3c5d9e1b40")  # growth-agent webhook registrations


def handled_events() -> tuple[str, ...]:
    """What the agent subscribes to: every event type it has a handler for."""
    return tuple(sorted(HANDLERS))


def idempotency_key(url: str, events: Sequence[str]) -> str:
    """The same registration always sends the same key (a UUID, as §22.1 asks)."""
    return str(uuid.uuid5(KEY_NAMESPACE, "\n".join([url, *sorted(events)])))


@dataclass(frozen=True)
class Registration:
    endpoint: WebhookEndpoint
    signing_secret: SecretStr | None  # None: registered earlier; its secret was shown then
    created: bool


def register(client: LayersClient, url: str, *, description: str | None = None) -> Registration:
    events = handled_events()
    existing = _find(client, url)
    if existing is not None:
        return Registration(existing, None, created=False)
    answer = client.create_webhook_endpoint(
        url=url, events=events, description=description, idempotency_key=idempotency_key(url, events)
    )
    return Registration(answer.endpoint, answer.signing_secret, created=True)


def _find(client: LayersClient, url: str) -> WebhookEndpoint | None:
    try:
        return next((e for e in client.iter_webhook_endpoints() if e.url == url), None)
    except errors.NotFound:  # the list is inferred from the docs' navigation; the key still protects
        return None


def rotate(client: LayersClient, endpoint_id: str) -> RotatedWebhookSecret:
    return client.rotate_webhook_secret(endpoint_id, idempotency_key=str(uuid.uuid4()))
