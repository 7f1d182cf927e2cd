"""One marker per sent run in the broker's Redis, so that the sweeper can tell a lost message from a long
queue without resending a backlog that is legitimately queued for hours.

The marker lives in the Redis database of the messages themselves: a flush, or a failover to a replica
that had neither, erases both together. Its value says what to expect of the run: `queued` (a message
waits in the queue, however long the backlog) or a deadline by which the run must have been claimed (a
worker took its message, or a deferred message falls due then; past it, the message died with the
worker that held it). A queued run without a marker, or past its deadline, has lost its message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

import redis

from agent.config import Settings
from agent.logging import get_logger

log = get_logger(__name__)

KEY = "agent:run-message:{}"
QUEUED = b"queued"
TTL_S = 7 * 24 * 3600  # a marker outlives any queue; a run queued longer is resent once (harmless)
CHUNK = 1000


class RunMessages:
    """The markers on the broker's Redis (the embedded broker has none: `from_settings` gives None)."""

    def __init__(self, client: redis.Redis, *, clock: Callable[[], datetime]) -> None:
        self._client = client
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], datetime]) -> RunMessages | None:
        if not settings.redis_url:
            return None
        return cls(redis.Redis.from_url(settings.redis_url), clock=clock)

    def queued(self, run_id: int) -> None:
        """Set before the message is sent: a worker's deadline, set once it takes the message, wins."""
        self._client.set(KEY.format(run_id), QUEUED, ex=TTL_S)

    def expect_by(self, run_id: int, deadline: datetime) -> None:
        """The run must be claimed by `deadline` (its message is held by a worker, or due then)."""
        try:
            self._client.set(KEY.format(run_id), repr(deadline.timestamp()), ex=TTL_S)
        except redis.RedisError as exc:
            log.warning("run_message_unmarked", run_id=run_id, error=type(exc).__name__)

    def forget(self, run_id: int) -> None:
        """The run ended: nothing more is expected of its messages."""
        try:
            self._client.delete(KEY.format(run_id))
        except redis.RedisError as exc:
            log.warning("run_message_unmarked", run_id=run_id, error=type(exc).__name__)

    def lost(self, run_ids: Sequence[int]) -> list[int]:
        """Of these queued runs, the ones whose message is gone; none when Redis cannot be asked."""
        now = self._clock().timestamp()
        gone: list[int] = []
        try:
            for start in range(0, len(run_ids), CHUNK):
                chunk = run_ids[start : start + CHUNK]
                values = cast(list[bytes | None], self._client.mget([KEY.format(run_id) for run_id in chunk]))
                gone.extend(run_id for run_id, value in zip(chunk, values, strict=True) if _gone(value, now))
        except redis.RedisError as exc:
            log.warning("run_messages_unchecked", error=type(exc).__name__)
            return []
        return gone


def _gone(value: object, now: float) -> bool:
    if value is None:
        return True
    if value == QUEUED or not isinstance(value, bytes):
        return False
    return float(value) < now
