"""Webhook endpoint management (contract §22): create, list, get, test, rotate-secret, deliveries.

Endpoint and delivery ids are bare UUIDs. The signing secret is in the create and rotate answers
only (shown once; a replay of the same Idempotency-Key returns the stored answer, secret included).
"""

from __future__ import annotations

import re
from typing import Any

from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import not_found
from agent.sandbox.pagination import QueryCursor, paginate
from agent.sandbox.params import BodyReader, q_enum
from agent.sandbox.state import SandboxState
from agent.sandbox.webhooks import CATALOG, Endpoint, WebhookHub
from agent.sandbox.witness import Outcome

URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")  # the sandbox is "dev": plain http is accepted anywhere
MAX_EVENTS = 50
DELIVERY_STATUSES = ("pending", "delivering", "delivered", "failed", "abandoned")


def _hub(state: SandboxState) -> WebhookHub:
    if state.webhooks is None:
        raise not_found("Webhooks are not available in this sandbox.")
    return state.webhooks


def _endpoint(state: SandboxState, raw_id: str) -> Endpoint:
    endpoint = _hub(state).endpoints.get(raw_id.lower())
    if endpoint is None:
        raise not_found("Webhook endpoint not found.")
    return endpoint


def _events(reader: BodyReader) -> list[str]:
    events = reader.string_list("events") or []
    if not 1 <= len(events) <= MAX_EVENTS:
        reader.issues.append(("events", f"Expected 1-{MAX_EVENTS} event names."))
    unknown = [name for name in events if name not in CATALOG]
    if unknown:
        reader.issues.append(("events", f"Unknown event {unknown[0]!r}; expected names from the catalog."))
    return events


def create_endpoint(req: ApiRequest, state: SandboxState) -> ApiResponse:
    reader = BodyReader(req.json_body(), ("url", "events", "description", "projectId", "metadata", "scope"))
    url = reader.string("url", required=True, max_len=2048)
    if url is not None and not URL.match(url):
        reader.issues.append(("url", "Expected an http(s) URL."))
    events = _events(reader)
    description = reader.string("description", max_len=500, nullable=True)
    raw_project = reader.string("projectId")
    reader.obj("metadata", nullable=True)
    reader.enum("scope", ("own", "all_children"), default="own")
    reader.done()
    project_id = state.project(raw_project).id if raw_project else None
    endpoint = _hub(state).create(
        url=str(url), events=events, now=req.now, description=description, project_id=project_id
    )
    req.outcome = Outcome.APPLIED
    view = endpoint.view(state.organization.id)
    return ApiResponse(201, {"endpoint": view, "signingSecret": endpoint.secret})


def list_endpoints(req: ApiRequest, state: SandboxState) -> ApiResponse:
    rows = sorted(_hub(state).endpoints.values(), key=lambda e: (e.created_at, e.id))
    page = paginate(rows, req, QueryCursor(req), default_limit=25, max_limit=100)
    return ApiResponse(200, page.body(lambda e: e.view(state.organization.id)))


def get_endpoint(req: ApiRequest, state: SandboxState) -> ApiResponse:
    return ApiResponse(200, _endpoint(state, req.params["endpointId"]).view(state.organization.id))


def test_endpoint(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """Send `test.ping` to this endpoint whatever it subscribes to (§22.2)."""
    endpoint = _endpoint(state, req.params["endpointId"])
    reader = BodyReader(req.json_body(), ("payload",))
    payload = reader.obj("payload")
    reader.done()
    data: dict[str, Any] = payload or {
        "message": "Test event from the Layers sandbox.",
        "endpointId": endpoint.id,
        "organizationId": state.organization.id,
    }
    (delivery,) = _hub(state).publish("test.ping", data, req.now, only=endpoint)
    req.outcome = Outcome.APPLIED
    return ApiResponse(
        200, {"eventId": delivery.event_id, "deliveryId": delivery.id, "scheduledAt": iso(delivery.next_at)}
    )


def rotate_secret(req: ApiRequest, state: SandboxState) -> ApiResponse:
    endpoint = _endpoint(state, req.params["endpointId"])
    hub = _hub(state)
    hub.rotate(endpoint, req.now)
    req.outcome = Outcome.APPLIED
    expires = endpoint.previous_expires_at
    return ApiResponse(
        200,
        {
            "endpointId": endpoint.id,
            "signingSecret": endpoint.secret,
            "previousSecretExpiresAt": iso(expires) if expires else None,
            "warning": "Store the new secret now: it is not shown again. The previous one signs for 24 h.",
        },
    )


def list_deliveries(req: ApiRequest, state: SandboxState) -> ApiResponse:
    endpoint = _endpoint(state, req.params["endpointId"])
    event_type = q_enum(req, "eventType", CATALOG)
    status = q_enum(req, "status", DELIVERY_STATUSES)
    rows = [
        row
        for row in _hub(state).views(endpoint_id=endpoint.id)
        if event_type in (None, row["eventType"]) and status in (None, row["status"])
    ]
    page = paginate(rows, req, QueryCursor(req), default_limit=25, max_limit=100)
    return ApiResponse(200, page.body(lambda row: row))
