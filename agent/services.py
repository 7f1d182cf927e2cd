"""The one place that builds the agent's dependencies (settings, database, Layers client, clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.config import Settings
from agent.layers.client import LayersClient
from agent.layers.quota import InMemoryRateLimiter, RateLimiter, RedisRateLimiter
from agent.observability import record_api_call
from agent.store.db import Database
from agent.store.sql import SqlStore


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """The production dependencies of the use cases (`agent.loops.ports.Deps`), plus the database for the CLI.

    Tasks, the CLI and tests build one; loops never build their own.
    """

    settings: Settings
    db: Database
    client: LayersClient
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        """One unit of work on the database: commits when the block ends, rolls back on an exception."""
        with self.db.session() as session:
            yield SqlStore(session)

    def close(self) -> None:
        self.client.close()
        self.db.dispose()


def build_limiter(settings: Settings) -> RateLimiter:
    """The fleet-wide limiter on Redis when there is one; a process-local one for the embedded mode."""
    if settings.redis_url:
        return RedisRateLimiter.from_settings(settings)
    return InMemoryRateLimiter.from_settings(settings)


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Services:
    return Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        client=LayersClient.from_settings(
            settings, limiter=build_limiter(settings), on_response=record_api_call
        ),
        clock=clock,
    )
