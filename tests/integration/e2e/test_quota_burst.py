"""A burst of due customers on one shared Layers quota: two workers and a beat (real processes) queue for
the Redis limiter instead of setting off 429s, and serve every customer's daily runs, in order.

Rate limits are per minute, so a burst that overflows a real 60-second window would take minutes to
drain. The sandbox's clock therefore runs SPEED times faster than the wall clock: its fixed 60-second
windows last 60 / SPEED real seconds. The fleet's rates are real requests per minute, set just under
what the tier allows in any such window, GCRA burst included (`fleet_rate`). The sandbox's Retry-After
is in sandbox seconds, SPEED times too long here; only the control test ever gets one.

The module has a Redis of its own: Celery workers of tests running at the same time on the shared test
Redis would take each other's messages.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import pytest
import redis
from sqlalchemy import select, update

from agent.layers.quota import BURST_DIVISOR
from agent.sandbox import RateLimitTier, Sandbox, parse_scenario
from agent.store.models import Customer, Decision, Job, Run
from tests.integration.e2e.conftest import wait_until

SPEED = 10  # sandbox seconds per real second: a rate-limit window lasts 6 real seconds
# Per sandbox minute (6 real seconds). No cap on running jobs: its 429s are not about the quota.
TIER = RateLimitTier(
    "burst", read_light=120, write_light=60, long_running=16, daily_write=None, concurrent_jobs=None
)
HEAVY = 2  # customers with a backlog: a thousand ads-content rows, twenty pages per optimization run
LIGHT = 20  # customers with six posts and a breakout to clone
HEAVY_ROWS = 1000
DAILY = ("publish_to_learn", "optimization")
MAX_ATTEMPTS = 1  # TASK_MAX_ATTEMPTS: a run that went back to the queue once would fail, if quota
# waits counted as attempts
MAX_WAIT_S = (
    0.5  # QUOTA_MAX_WAIT_S, a short wait: long-running waits are longer, so runs go back to the queue
)


class SandboxClock:
    """Wall time until armed; from the first reading after `arm()`, SPEED times faster and starting on a
    whole minute, so a rate-limit window opens with the first request of the burst."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = False
        self._start: tuple[datetime, float] | None = None

    def arm(self) -> None:
        with self._lock:
            self._armed = True

    def __call__(self) -> datetime:
        with self._lock:
            now = datetime.now(UTC)
            if not self._armed:
                return now
            if self._start is None:
                minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
                self._start = (minute, time.monotonic())
            origin, started = self._start
            return origin + timedelta(seconds=(time.monotonic() - started) * SPEED)


def fleet_rate(per_window: int) -> int:
    """The highest rate per real minute whose GCRA burst plus a window's worth of tokens stays 10% under
    the tier: at most `rate // BURST_DIVISOR + rate / SPEED` requests reach the sandbox in any window."""
    rate = 1
    while (rate + 1) // BURST_DIVISOR + (rate + 1) / SPEED <= 0.9 * per_window:
        rate += 1
    return rate


FLEET = {
    "RATE_READ_PER_MIN": fleet_rate(TIER.read_light),
    "RATE_WRITE_PER_MIN": fleet_rate(TIER.write_light),
    "RATE_LONG_RUNNING_PER_MIN": fleet_rate(TIER.long_running),
}


@pytest.fixture(scope="module")
def private_redis() -> Iterator[str]:
    """A Redis of our own: workers on a shared test Redis would take each other's messages."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        wait_until(lambda: _answers(client), timeout=10, interval=0.05, what="the private redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def redis_url(private_redis: str) -> Iterator[str]:
    client = redis.Redis.from_url(private_redis)
    client.flushdb()
    yield private_redis
    client.flushdb()
    client.close()


def _uuid(k: int, j: int = 0, tail: int = 0) -> str:
    return f"{k:08d}-{j:04d}-4000-8000-{tail:012d}"


def _project(k: int, name: str, rows: int, *, breakout: bool) -> dict[str, object]:
    """Ordinary posts, each with its ads-content row, and perhaps a breakout that publish-to-learn clones."""
    posts: list[dict[str, object]] = [
        {
            "platformPostId": f"pp_{_uuid(k, j)}",
            "title": f"Post {j}",
            "views": 1000 + j,
            "engagementRate": 0.02,
            "ageDays": 1 + j % 5,
            "adsContentId": f"adc_{_uuid(k, j, 1)}",
        }
        for j in range(1, rows + 1)
    ]
    if breakout:
        posts.append(
            {
                "platformPostId": f"pp_{_uuid(k, 9999)}",
                "title": "Breakout",
                "views": 20_000,
                "engagementRate": 0.09,
                "ageDays": 2,
            }
        )
    return {"id": f"prj_{_uuid(k)}", "name": name, "timezone": "UTC", "posts": posts}


def burst_scenario() -> dict[str, object]:
    """The backlog customers come first, so their runs are queued ahead of everyone else's."""
    projects = [_project(k, f"Backlog customer {k}", HEAVY_ROWS, breakout=False) for k in range(1, HEAVY + 1)]
    projects += [
        _project(k, f"Daily customer {k}", 6, breakout=True) for k in range(HEAVY + 1, HEAVY + LIGHT + 1)
    ]
    return {"projects": projects, "jobs": {"defaultDurationSeconds": 2}}


@pytest.fixture
def e2e_sandbox() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(parse_scenario(burst_scenario()), rate_limits=TIER, clock=SandboxClock())
    with sandbox.serve() as server:
        yield sandbox, server.base_url


def start_burst(stack, *, threads: int = 4, **env: str) -> float:
    """Every customer due now; two workers (`threads` each) and a beat. Returns the start time."""
    with stack.db.session() as session:
        session.execute(update(Customer).values(run_at=clock(0, 0)))
    elsewhere = (datetime.now(UTC) + timedelta(days=3)).strftime("%A").lower()
    env = {
        "RUN_STALE_AFTER_S": "300",
        "WEEKLY_REVIEW_WEEKDAY": elsewhere,  # only the two daily loops
        "TASK_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "QUOTA_MAX_WAIT_S": str(MAX_WAIT_S),
        **{name: str(value) for name, value in FLEET.items()},
        **env,
    }
    stack.sandbox.clock.arm()
    started = time.monotonic()
    for _ in range(2):
        stack.start(
            "worker", "--pool", "threads", "--concurrency", str(threads), "--no-metrics", name="worker", **env
        )
    stack.beat(**env)
    return started


def wait_for(stack, predicate, *, timeout: float, what: str) -> None:
    try:
        wait_until(predicate, timeout=timeout, interval=0.25, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from None


def backlog_customers(stack) -> set[int]:
    with stack.db.session() as session:
        return set(session.scalars(select(Customer.id).where(Customer.name.like("Backlog customer %"))))


def daily_runs(stack) -> list[Run]:
    """Every run, in queue order (the dispatcher sends oldest first: created_at, then id)."""
    with stack.db.session() as session:
        return list(session.scalars(select(Run).order_by(Run.created_at, Run.id)))


def answered(stack, *statuses: int) -> Counter[str]:
    """The sandbox's answers with these statuses, by endpoint class."""
    counts: Counter[str] = Counter()
    for (endpoint_class, status), n in stack.sandbox.pipeline.answered().items():
        if status in statuses:
            counts[endpoint_class] += n
    return counts


def jobs(stack) -> list[Job]:
    with stack.db.session() as session:
        return list(session.scalars(select(Job)))


def deferrals(stack) -> Counter[int]:
    """How often each run went back to the queue (the workers' `run_deferred` log lines)."""
    return Counter(
        json.loads(line)["run_id"] for line in stack.full_logs().splitlines() if '"run_deferred"' in line
    )


def test_a_burst_queues_for_the_shared_quota_without_429s_and_serves_everyone_in_order(stack):
    customers = HEAVY + LIGHT
    started = start_burst(stack)

    def all_ended() -> bool:
        runs = daily_runs(stack)
        return len(runs) == customers * len(DAILY) and all(r.status in ("succeeded", "failed") for r in runs)

    wait_for(stack, all_ended, timeout=90, what="every customer's two daily runs to end")
    elapsed = time.monotonic() - started
    runs, sent, refused, deferred = (
        daily_runs(stack),
        answered(stack, 200, 202),
        answered(stack, 429),
        deferrals(stack),
    )
    print(
        f"\nburst of {customers} customers: {elapsed:.1f}s; sandbox answered {dict(sent)} and 429 "
        f"{dict(refused)}; fleet {FLEET}; {sum(deferred.values())} deferrals, at most "
        f"{max(deferred.values(), default=0)} for one run"
    )

    # Nobody starves: runs went back to the queue for quota, yet every run succeeded on its one attempt
    # (a quota wait is not a failed attempt) and none gave up.
    assert all(r.status == "succeeded" for r in runs), [(r.id, r.status, r.error) for r in runs]
    assert sum(deferred.values()) > 0
    assert all(r.attempts == MAX_ATTEMPTS for r in runs), [(r.id, r.attempts) for r in runs]
    with stack.db.session() as session:
        errors = session.scalars(select(Decision).where(Decision.action == "error")).all()
    assert not errors, [(d.run_id, d.reason, d.evidence) for d in errors]

    # Every clone's job followed to its end on the polls' reserved share, whatever the runs' burst: none
    # timed out, none abandoned.
    wait_for(
        stack, lambda: all(j.status != "running" for j in jobs(stack)), timeout=60, what="every job to end"
    )
    followed = jobs(stack)
    polls = [j.poll_attempts for j in followed]
    print(
        f"jobs: {len(followed)} followed, {[j.status for j in followed].count('completed')} completed, "
        f"{sum(polls) / len(polls):.2f} polls per job (at most {max(polls)})"
    )
    assert followed
    assert {j.status for j in followed} == {"completed"}

    # No storm: not one 429, although the burst asked for more than a window's worth of both classes
    # (the control test sends the same burst without the limiter's pacing, and is refused)...
    assert not refused, refused
    assert sent["read-light"] > TIER.read_light
    assert sent["long-running"] > TIER.long_running
    # ...because the limiter made it queue: the long-running calls alone need this long at the fleet's rate.
    rate = FLEET["RATE_LONG_RUNNING_PER_MIN"]
    assert elapsed > (sent["long-running"] - rate // BURST_DIVISOR) * 60 / rate

    # Served in order: the publish runs, all due at the same moment, are served about as they were
    # queued. Not exactly: a run sent back for quota returns behind the others.
    publish = [r for r in runs if r.loop == "publish_to_learn"]
    finished = [round((r.finished_at - runs[0].created_at).total_seconds(), 1) for r in publish]
    print(
        f"publish runs in queue order: finished at {finished} s, deferred {[deferred[r.id] for r in publish]}"
    )
    half = len(finished) // 2
    assert statistics.median(finished[:half]) < statistics.median(finished[half:]), finished

    # A backlog holds up no one: while a backlog customer's optimization run reads its twenty pages of
    # ads-content, other customers' runs keep finishing (one message per customer-run, one thread each).
    heavy = backlog_customers(stack)
    backlog_runs = [r for r in runs if r.loop == "optimization" and r.customer_id in heavy]
    alongside = {
        b.id: sum(
            1 for r in runs if r.customer_id not in heavy and b.started_at < r.finished_at < b.finished_at
        )
        for b in backlog_runs
    }
    print(f"runs that finished while a backlog customer's optimization run ran: {alongside}")
    assert backlog_runs
    assert all(n >= 1 for n in alongside.values()), alongside


def test_control_the_same_burst_with_the_limiter_above_the_tier_is_refused(stack):
    """The fleet's rates twenty times what the tier allows: the sandbox answers 429s (the first test's
    zero is the limiter's doing, not a burst too small to overflow)."""
    above = {name: str(rate * 20) for name, rate in FLEET.items()}
    # RETRY_AFTER_CAP_S=1: no thread sleeps out a Retry-After (SPEED times too long here), so the
    # workers stop promptly. Sixteen threads a worker: every customer's run at once, the burst unpaced
    # (runs now start their optimization the moment publish-to-learn ends, which spreads the day out).
    start_burst(stack, threads=16, RETRY_AFTER_CAP_S="1", **above)
    wait_for(stack, lambda: answered(stack, 429), timeout=60, what="the sandbox to answer 429")
    time.sleep(1)
    print(
        f"\ncontrol: sandbox answered {dict(answered(stack, 200, 202))} and 429 {dict(answered(stack, 429))}"
    )
    assert sum(answered(stack, 429).values()) > 0
