"""Client for the Layers Partner API: typed errors, tolerant models, retries, and a shared quota."""

from agent.layers.client import LayersClient
from agent.layers.errors import (
    Conflict,
    ContractError,
    Forbidden,
    IdempotencyConflict,
    KillSwitch,
    LayersConnectionError,
    LayersError,
    LayersTimeout,
    NotFound,
    QuotaExhausted,
    RateLimited,
    ServerError,
    Unauthenticated,
    ValidationFailed,
)
from agent.layers.quota import InMemoryRateLimiter, NoopRateLimiter, RateLimiter, RedisRateLimiter
from agent.layers.retry import RetryPolicy
from agent.layers.routes import EndpointClass

__all__ = [
    "Conflict",
    "ContractError",
    "EndpointClass",
    "Forbidden",
    "IdempotencyConflict",
    "InMemoryRateLimiter",
    "KillSwitch",
    "LayersClient",
    "LayersConnectionError",
    "LayersError",
    "LayersTimeout",
    "NoopRateLimiter",
    "NotFound",
    "QuotaExhausted",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "RetryPolicy",
    "ServerError",
    "Unauthenticated",
    "ValidationFailed",
]
