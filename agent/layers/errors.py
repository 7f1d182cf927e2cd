"""Typed Layers errors and the one table that turns (HTTP status, error envelope) into them.

Callers branch on the class (or on `code`, which Layers promises never to rename), never on `message`.
Every message passes through the log redactor, so an echoed API key can never leak via `str(exc)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from agent.domain.redaction import redact_text


class LayersError(Exception):
    """Base of every error the client raises about a call to Layers."""

    default_code = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = redact_text(message)
        self.code = code or self.default_code
        self.status = status
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        where = f"HTTP {self.status} " if self.status is not None else ""
        rid = f" (request {self.request_id})" if self.request_id else ""
        return f"{where}{self.code}: {self.message}{rid}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, request_id={self.request_id!r})"


class Unauthenticated(LayersError):
    """401: the key is missing, malformed, revoked or for the wrong environment."""

    default_code = "UNAUTHENTICATED"


class Forbidden(LayersError):
    """403: the key lacks the scope, or a policy gate (approval, return URL, ads authority) refused."""

    default_code = "FORBIDDEN_SCOPE"


class NotFound(LayersError):
    """404: missing, or owned by another organization (Layers never reveals which)."""

    default_code = "NOT_FOUND"


class ValidationFailed(LayersError):
    """400 or 422 VALIDATION: the request itself is wrong; `issues` lists the offending paths."""

    default_code = "VALIDATION"

    @property
    def issues(self) -> list[dict[str, Any]]:
        issues = self.details.get("issues")
        return [i for i in issues if isinstance(i, dict)] if isinstance(issues, list) else []


class Conflict(LayersError):
    """409 CONFLICT (and other state conflicts): change the state first; `subcode` says why."""

    default_code = "CONFLICT"

    @property
    def subcode(self) -> str | None:
        value = self.details.get("subcode")
        return value if isinstance(value, str) else None


class IdempotencyConflict(LayersError):
    """409 IDEMPOTENCY_CONFLICT: one Idempotency-Key was reused with a different body (a caller bug)."""

    default_code = "IDEMPOTENCY_CONFLICT"


class RateLimited(LayersError):
    """429: the server's bucket for this endpoint class is empty; wait `retry_after_s` seconds."""

    default_code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class ServerError(LayersError):
    """5xx other than the kill switch: transient, worth retrying with backoff."""

    default_code = "SERVER_ERROR"


class KillSwitch(LayersError):
    """503 KILL_SWITCH: the key or organization is suspended; never retried, a human must act."""

    default_code = "KILL_SWITCH"


class LayersConnectionError(LayersError):
    """The request never got an HTTP answer (DNS, refused, reset)."""

    default_code = "CONNECTION_ERROR"


class LayersTimeout(LayersConnectionError):
    """No answer within the configured timeout; the server may or may not have acted."""

    default_code = "TIMEOUT"


class ContractError(LayersError):
    """A response broke the contract (bad JSON, missing or mistyped field); retrying will not fix it."""

    default_code = "CONTRACT"

    def __init__(self, endpoint: str, field: str, problem: str = "is required", **kwargs: Any) -> None:
        super().__init__(f"{endpoint}: field '{field}' {problem}", **kwargs)
        self.endpoint = endpoint
        self.field = field


class QuotaExhausted(LayersError):
    """Our own limiter had no token for this endpoint class in time; reschedule after `retry_after_s`."""

    default_code = "QUOTA_EXHAUSTED"

    def __init__(self, endpoint_class: str, retry_after_s: float, *, reason: str | None = None) -> None:
        super().__init__(reason or f"no {endpoint_class} quota for the next {retry_after_s:.1f}s")
        self.endpoint_class = endpoint_class
        self.retry_after_s = retry_after_s


# Codes first: Layers promises codes are stable, and one status (403, 409) covers several codes.
CODE_TO_ERROR: dict[str, type[LayersError]] = {
    "UNAUTHENTICATED": Unauthenticated,
    "FORBIDDEN_SCOPE": Forbidden,
    "APPROVAL_REQUIRED": Forbidden,
    "RETURN_URL_NOT_ALLOWED": Forbidden,
    "AUTHORITY_DENIED": Forbidden,
    "NOT_FOUND": NotFound,
    "VALIDATION": ValidationFailed,
    "CONFLICT": Conflict,
    "CONTENT_REJECTED": Conflict,
    "WOULD_LEAVE_AD_EMPTY": Conflict,
    "IDEMPOTENCY_CONFLICT": IdempotencyConflict,
    "RATE_LIMITED": RateLimited,
    "KILL_SWITCH": KillSwitch,
}
# Fallback for unknown or missing codes (new codes may appear; a proxy may answer without an envelope).
STATUS_TO_ERROR: dict[int, type[LayersError]] = {
    400: ValidationFailed,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
}


def error_class_for(status: int, code: str | None) -> type[LayersError]:
    """The exception class for a non-2xx answer: by code when known, else by status."""
    if code in CODE_TO_ERROR:
        return CODE_TO_ERROR[code]
    if status in STATUS_TO_ERROR:
        return STATUS_TO_ERROR[status]
    return ServerError if status >= 500 else LayersError


Default = TypeVar("Default")


def _text(envelope: Mapping[str, Any], key: str, default: Default) -> str | Default:
    """The envelope's string field `key`, or `default` when it is absent or not a string."""
    value = envelope.get(key)
    return value if isinstance(value, str) else default


def error_from_response(
    status: int,
    body: object,
    *,
    request_id: str | None = None,
    retry_after_s: float | None = None,
) -> LayersError:
    """Build the typed error for an HTTP error answer; `body` is the parsed JSON (anything, if it was not)."""
    envelope = body.get("error") if isinstance(body, dict) else None
    envelope = envelope if isinstance(envelope, dict) else {}
    code = _text(envelope, "code", None)
    details = envelope.get("details") if isinstance(envelope.get("details"), dict) else None
    cls = error_class_for(status, code)
    kwargs: dict[str, Any] = {
        "code": code,
        "status": status,
        "request_id": _text(envelope, "requestId", request_id),
        "details": details,
    }
    if issubclass(cls, RateLimited):
        kwargs["retry_after_s"] = retry_after_s
    return cls(_text(envelope, "message", f"HTTP {status}"), **kwargs)
