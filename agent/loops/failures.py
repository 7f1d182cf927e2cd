"""How a loop reacts to a failure talking to Layers: try again later, or stop and record why."""

from __future__ import annotations

from agent.domain.evidence import Failure
from agent.domain.vocabulary import Reason
from agent.layers import errors

# Worth another attempt later: the client already retried these within its own deadline.
TRANSIENT = (
    errors.RateLimited,
    errors.ServerError,
    errors.LayersConnectionError,
    errors.LayersTimeout,
    errors.QuotaExhausted,
)
DEFAULT_RETRY_AFTER_S = 30.0
# Layers refused a creating request itself: sending the same request again cannot succeed.
REJECTIONS = (errors.NotFound, errors.ValidationFailed, errors.Conflict, errors.IdempotencyConflict)


class TransientFailure(Exception):
    """Layers is busy or unreachable; the run goes back to the queue and is retried after `retry_after_s`.

    `quota_wait` marks a wait for our own shared quota: not a failure of the run, so its attempt is given back.
    """

    def __init__(
        self, message: str, *, retry_after_s: float = DEFAULT_RETRY_AFTER_S, quota_wait: bool = False
    ):
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.quota_wait = quota_wait


class PermanentFailure(Exception):
    """Retrying cannot help (bad response, revoked key, kill switch); the reason is recorded as a decision."""

    def __init__(self, reason: Reason, message: str, evidence: Failure) -> None:
        super().__init__(message)
        self.reason = reason
        self.evidence = evidence


def translate(exc: errors.LayersError) -> TransientFailure | PermanentFailure:
    """The loop failure for a client error: try again later, or stop and record why."""
    if isinstance(exc, TRANSIENT):
        hint = exc.retry_after_s if isinstance(exc, errors.RateLimited | errors.QuotaExhausted) else None
        return TransientFailure(
            f"{type(exc).__name__}: {exc}",
            retry_after_s=float(hint or DEFAULT_RETRY_AFTER_S),
            quota_wait=isinstance(exc, errors.QuotaExhausted),
        )
    if isinstance(exc, errors.ContractError):
        evidence = Failure(message=str(exc), endpoint=exc.endpoint, field=exc.field)
        return PermanentFailure(Reason.MALFORMED_RESPONSE, str(exc), evidence)
    if isinstance(exc, errors.KillSwitch):
        reason = Reason.LAYERS_KILL_SWITCH
    elif isinstance(exc, errors.Unauthenticated | errors.Forbidden):
        reason = Reason.LAYERS_ACCESS_DENIED
    elif isinstance(exc, errors.NotFound):
        reason = Reason.LAYERS_NOT_FOUND
    else:
        reason = Reason.LAYERS_REJECTED
    return PermanentFailure(reason, str(exc), failure_evidence(exc))


def failure_evidence(exc: errors.LayersError) -> Failure:
    return Failure(message=str(exc), code=exc.code, status=exc.status, request_id=exc.request_id)
