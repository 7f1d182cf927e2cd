"""Under heavy injected faults every call still succeeds, and no mutation is ever applied twice."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from agent.layers import InMemoryRateLimiter, LayersClient, RetryPolicy
from agent.layers.quota import QuotaRates
from agent.layers.routes import EndpointClass
from agent.sandbox import FaultConfig, Outcome

from .conftest import ACME, ACME_BREAKOUT, BRIGHT, NORTHWIND, PIXEL, START, Calls

FAULTS = FaultConfig(seed=20260420, rate_429=0.3, retry_after_s=2, rate_5xx=0.1, rate_reset=0.1)
PROJECTS = (ACME, NORTHWIND, PIXEL, BRIGHT)
CALLS = 200


class SharedTime:
    """One fake clock for the client, its limiter and the sandbox: a sleep moves all three."""

    def __init__(self, sandbox) -> None:
        self.sandbox = sandbox
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        self.sandbox.advance(seconds)


def test_200_mixed_calls_all_succeed_and_nothing_is_applied_twice(start):
    sandbox, make_client = start(rate_limits="disabled", faults=FAULTS)
    time = SharedTime(sandbox)
    calls = Calls()
    limiter = InMemoryRateLimiter(
        rates=QuotaRates(
            {EndpointClass.READ_LIGHT: 1200, EndpointClass.WRITE_LIGHT: 600, EndpointClass.LONG_RUNNING: 60}
        ),
        max_wait_s=30,
        sleep=time.sleep,
        clock=time,
    )
    client = make_client(
        retry=RetryPolicy(max_attempts=30, deadline_s=3600, retry_after_cap_s=30),
        limiter=limiter,
        sleep=time.sleep,
        clock=time,
        rng=random.Random(1),
        on_response=calls,
    )
    rng = random.Random(42)
    jobs: list[str] = []
    containers: list[tuple[str, str]] = []  # (witness kind, container id)
    keys: list[str] = []

    def key() -> str:
        keys.append(f"resilience-{len(keys)}")
        return keys[-1]

    def clone(c: LayersClient) -> None:
        container = str(uuid.uuid4())
        envelope = c.clone_from_post(
            container, project_id=ACME, source_platform_post_id=ACME_BREAKOUT, idempotency_key=key()
        )
        jobs.append(envelope.job_id)
        containers.append(("clone", container))

    def generate(c: LayersClient) -> None:
        container = str(uuid.uuid4())
        brief = {"hook": f"hook {len(containers)}"}
        envelope = c.generate_content(ACME, container_id=container, brief=brief, idempotency_key=key())
        jobs.append(envelope.job_id)
        containers.append(("generate", container))

    def cancel(c: LayersClient) -> None:
        if jobs:
            c.cancel_job(rng.choice(jobs), idempotency_key=key())

    def read_job(c: LayersClient) -> None:
        if jobs:
            assert c.get_job(rng.choice(jobs)).job is not None

    def read_content(c: LayersClient) -> None:
        if containers:
            assert c.get_content(rng.choice(containers)[1]).id

    def project() -> str:
        return rng.choice(PROJECTS)

    operations: list[Callable[[LayersClient], object]] = [
        lambda c: c.whoami(),
        lambda c: c.get_project(project()),
        lambda c: c.list_projects(limit=3),
        lambda c: c.top_performers(project(), metric="engagement_rate", window="7d"),
        lambda c: list(c.iter_ads_content(project(), limit=2)),
        lambda c: list(c.iter_recommendations(BRIGHT, limit=3)),
        lambda c: c.metrics(ACME, scope="project", id=ACME, since=START - timedelta(days=7), until=START),
        lambda c: c.ads_metrics(NORTHWIND, since=START - timedelta(days=7), until=START, group_by="ad"),
        read_job,
        read_content,
        clone,
        generate,
        cancel,
        lambda c: c.patch_project(project(), {"tagline": f"take {len(keys)}"}, idempotency_key=key()),
        lambda c: c.patch_ads_content(
            PIXEL,
            "adc_00000007-1003-4000-8000-000000000000",
            override=rng.choice(["include", None]),
            idempotency_key=key(),
        ),
    ]
    for _ in range(CALLS):
        rng.choice(operations)(client)

    statuses = Counter(status for _, _, status in calls.seen)
    assert statuses[429] > 0
    assert statuses[0] > 0
    assert sum(n for s, n in statuses.items() if s >= 500) > 0
    assert len(keys) > 40

    mutations = [entry for entry in sandbox.witness.entries() if entry.method != "GET"]
    assert {entry.idempotency_key for entry in mutations} <= set(keys)  # no mutation went out without a key
    assert len(mutations) > len(keys)  # retries happened
    applied = Counter(entry.idempotency_key for entry in mutations if entry.outcome is Outcome.APPLIED)
    assert applied, "no mutation was applied at all"
    assert max(applied.values()) == 1
    assert {entry.fault for entry in mutations} >= {"http_429", "reset"}
    assert containers
    for kind, container in containers:
        assert len(sandbox.witness.applied(kind=kind, container_id=container)) == 1
