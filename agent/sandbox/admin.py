"""`/_sandbox/*`: test and demo controls. Never authenticated, rate limited or faulted."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from agent.sandbox.clock import iso
from agent.sandbox.faults import FaultConfig
from agent.sandbox.witness import WitnessLog


class SandboxControls(Protocol):
    """All the admin endpoints may do to a sandbox."""

    @property
    def witness(self) -> WitnessLog: ...

    @property
    def faults(self) -> FaultConfig: ...

    def now(self) -> datetime: ...

    def snapshot(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def set_faults(self, faults: FaultConfig) -> None: ...

    def request_counts(self) -> list[dict[str, Any]]: ...

    def webhook_deliveries(self) -> list[dict[str, Any]]: ...

    def advance(self, seconds: float) -> datetime:
        """Move a ManualClock forward; TypeError when the sandbox runs on another clock."""
        ...


def _error(status: int, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": "SANDBOX_ADMIN", "message": message}}


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _flag(query: dict[str, list[str]], name: str) -> bool | None:
    values = query.get(name)
    return None if not values else values[-1].lower() in ("true", "1")


def handle(
    sandbox: SandboxControls, method: str, path: str, query: dict[str, list[str]], raw: bytes
) -> tuple[int, Any]:
    try:
        body = _body(raw) if method in ("POST", "PUT", "PATCH") else {}
    except ValueError as exc:
        return _error(400, f"invalid JSON body: {exc}")
    key = (method, path.rstrip("/"))
    if key == ("GET", "/_sandbox/health"):
        return 200, {"ok": True, "now": iso(sandbox.now())}
    if key == ("GET", "/_sandbox/requests"):
        try:
            return 200, {"items": _requests(sandbox, query)}
        except ValueError as exc:
            return _error(422, str(exc))
    if key == ("GET", "/_sandbox/state"):
        return 200, sandbox.snapshot()
    if key == ("GET", "/_sandbox/counters"):
        return 200, {"items": sandbox.request_counts()}
    if key == ("GET", "/_sandbox/webhooks"):
        return 200, {"items": sandbox.webhook_deliveries()}
    if key == ("POST", "/_sandbox/reset"):
        sandbox.reset()
        return 200, {"reset": True, "now": iso(sandbox.now())}
    if key == ("GET", "/_sandbox/faults"):
        return 200, sandbox.faults.to_dict()
    if key == ("POST", "/_sandbox/faults"):
        try:
            sandbox.set_faults(sandbox.faults.merged(body))
        except (TypeError, ValueError) as exc:
            return _error(422, str(exc))
        return 200, sandbox.faults.to_dict()
    if key == ("DELETE", "/_sandbox/faults"):
        sandbox.set_faults(FaultConfig())
        return 200, sandbox.faults.to_dict()
    if key == ("POST", "/_sandbox/clock/advance"):
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return _error(422, "seconds must be a non-negative number")
        try:
            moved_to = sandbox.advance(seconds)
        except TypeError:
            return _error(
                409, "the sandbox runs on the wall clock; start it with a ManualClock to advance time"
            )
        return 200, {"now": iso(moved_to)}
    return _error(404, f"no admin route {method} {path}")


def _requests(sandbox: SandboxControls, query: dict[str, list[str]]) -> list[dict[str, Any]]:
    def one(name: str) -> str | None:
        values = query.get(name)
        return values[-1] if values else None

    applied = _flag(query, "applied")
    entries = sandbox.witness.entries(
        kind=one("kind"),
        outcome=one("outcome"),
        container_id=one("containerId"),
        source_post_id=one("sourcePostId"),
        project_id=one("projectId"),
        idempotency_key=one("idempotencyKey"),
    )
    if applied is not None:
        entries = [e for e in entries if (e.outcome.value == "APPLIED") == applied]
    return [entry.to_json() for entry in entries]
