"""The one place that builds the agent's dependencies (settings, database, Layers client, clock)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.call_meter import CallMeter
from agent.config import Settings
from agent.layers.client import LayersClient
from agent.layers.quota import InMemoryRateLimiter, RateLimiter, RedisRateLimiter
from agent.observability import record_api_call
from agent.store import calls
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
    meter: CallMeter = field(default_factory=CallMeter)  # the client's calls per run (`agent.call_meter`)

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        """One unit of work on the database: commits when the block ends, rolls back on an exception.

        It also writes the Layers calls this context's run (or job) made since its last unit of work.
        """
        with self.db.session() as session:
            yield SqlStore(session)
            if (taken := self.meter.take()) is not None:
                owner, tally = taken
                calls.add(session, run_id=owner.run_id, job_id=owner.job_id, tally=tally)

    def close(self) -> None:
        self.client.close()
        self.db.dispose()


def build_limiter(settings: Settings) -> RateLimiter:
    """The fleet-wide limiter on Redis when there is one; a process-local one for the embedded mode."""
    if settings.redis_url:
        return RedisRateLimiter.from_settings(settings)
    return InMemoryRateLimiter.from_settings(settings)


def build_services(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Services:
    meter = CallMeter()

    def on_response(method: str, route: str, status: int, elapsed_s: float) -> None:
        record_api_call(method, route, status, elapsed_s)
        meter.observe(method, route, status, elapsed_s)

    return Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        client=LayersClient.from_settings(settings, limiter=build_limiter(settings), on_response=on_response),
        clock=clock,
        meter=meter,
    )
