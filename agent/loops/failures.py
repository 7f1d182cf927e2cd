"""How a loop reacts to a failure talking to Layers: try again later, or stop and record why."""

from __future__ import annotations

from agent.layers import errors

# Worth another attempt later: the client already retried these within its own deadline.
TRANSIENT = (
    errors.RateLimited,
    errors.ServerError,
    errors.LayersConnectionError,
    errors.LayersTimeout,
    errors.QuotaExhausted,
)
DEFAULT_RETRY_IN_S = 30.0
# Layers refused a creating request itself: sending the same request again cannot succeed.
REJECTIONS = (errors.NotFound, errors.ValidationFailed, errors.Conflict, errors.IdempotencyConflict)


class TransientFailure(Exception):
    """Layers is busy or unreachable; the run goes back to the queue and is retried after `retry_in_s`."""

    def __init__(self, message: str, *, retry_in_s: float = DEFAULT_RETRY_IN_S) -> None:
        super().__init__(message)
        self.retry_in_s = retry_in_s


class PermanentFailure(Exception):
    """Retrying cannot help (bad response, revoked key, kill switch); the reason is recorded as a decision."""

    def __init__(self, reason: str, message: str, evidence: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.evidence = evidence or {}


def classify(exc: Exception) -> TransientFailure | PermanentFailure | None:
    """What the loop does next after an exception; None for anything that is not a Layers error."""
    return translate(exc) if isinstance(exc, errors.LayersError) else None


def translate(exc: errors.LayersError) -> TransientFailure | PermanentFailure:
    """The loop failure for a client error: try again later, or stop and record why."""
    if isinstance(exc, TRANSIENT):
        retry_in = (
            getattr(exc, "retry_after", None) or getattr(exc, "retry_after_s", None) or DEFAULT_RETRY_IN_S
        )
        return TransientFailure(f"{type(exc).__name__}: {exc}", retry_in_s=float(retry_in))
    if isinstance(exc, errors.ContractError):
        return PermanentFailure(
            "malformed_response", str(exc), {"endpoint": exc.endpoint, "field": exc.field}
        )
    if isinstance(exc, errors.KillSwitch):
        return PermanentFailure("layers_kill_switch", str(exc), _error_evidence(exc))
    if isinstance(exc, errors.Unauthenticated | errors.Forbidden):
        return PermanentFailure("layers_access_denied", str(exc), _error_evidence(exc))
    if isinstance(exc, errors.NotFound):
        return PermanentFailure("layers_not_found", str(exc), _error_evidence(exc))
    return PermanentFailure("layers_rejected", str(exc), _error_evidence(exc))


def _error_evidence(exc: errors.LayersError) -> dict[str, object]:
    return {"code": exc.code, "status": exc.status, "request_id": exc.request_id}
