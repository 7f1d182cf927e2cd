"""The in-process facade: build a simulated Layers org from a scenario and serve it over HTTP.

This is the one place that wires the parts together: the pipeline and the admin endpoints get
their collaborators from here and know nothing of this class.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from agent.sandbox import admin, ids, lifecycle, settling
from agent.sandbox.clock import Clock, JobClock, ManualClock, iso, system_clock
from agent.sandbox.faults import FaultConfig, FaultInjector
from agent.sandbox.idempotency import IdempotencyStore
from agent.sandbox.loader import build_state
from agent.sandbox.pipeline import Pipeline
from agent.sandbox.ratelimit import RateLimiter, RateLimitTier, resolve_tier, tier_from_scenario
from agent.sandbox.scenario import DEMO_SCENARIO_PATH, load_scenario
from agent.sandbox.scenario_schema import Scenario
from agent.sandbox.server import SandboxServer
from agent.sandbox.state import JobSettings, SandboxState
from agent.sandbox.webhook_delivery import WebhookSender
from agent.sandbox.webhooks import CATALOG, WebhookHub
from agent.sandbox.witness import WitnessLog


class Sandbox:
    """A faithful local Layers Partner API.

    `rate_limits`: None = the scenario's `rateLimits`; a tier name ("standard", "pilot", "partner",
    "disabled"/"off"); or a RateLimitTier with custom numbers. `clock`: a callable returning an aware
    UTC datetime; pass a ManualClock to drive time with `advance()`. `time_scale` K (default: the
    scenario's `timeScale`, 1): rate-limit windows of 60 / K seconds and job durations divided by K.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        faults: FaultConfig | None = None,
        clock: Clock | None = None,
        rate_limits: str | RateLimitTier | None = None,
        *,
        api_keys: Iterable[str] | None = None,
        job_duration_scale: float | None = None,
        concurrent_jobs: int | None = None,
        webhook_time_scale: float | None = None,
        time_scale: float | None = None,
    ) -> None:
        self.scenario = scenario if scenario is not None else load_scenario(DEMO_SCENARIO_PATH)
        self.clock: Clock = clock or system_clock
        if self.clock().tzinfo is None:
            raise ValueError("the sandbox clock must return aware datetimes")
        # K times faster than the real API: rate windows and job durations divided by K (the fleet benchmark).
        self.time_scale = time_scale if time_scale is not None else self.scenario.time_scale
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.tier = (
            tier_from_scenario(self.scenario.rate_limits)
            if rate_limits is None
            else resolve_tier(rate_limits)
        ).scaled(self.time_scale)
        self.concurrent_jobs = concurrent_jobs if concurrent_jobs is not None else self.tier.concurrent_jobs
        self.api_keys = frozenset(api_keys if api_keys is not None else self.scenario.api_keys)
        scale = job_duration_scale if job_duration_scale is not None else self.scenario.jobs.duration_scale
        if scale <= 0:
            raise ValueError("job_duration_scale must be positive")
        scale /= self.time_scale
        self.job_duration_scale = scale
        self.witness = WitnessLog()
        self.idempotency = IdempotencyStore()
        self.injector = FaultInjector(faults or FaultConfig())
        self.limiter = RateLimiter(self.tier)
        self.job_clock = JobClock(self.clock)
        self.job_clock.set_stalled(self.injector.config.stall_jobs)
        # Webhook retries wait the §23.4 ladder times this (default: the job-duration scale).
        ladder_scale = webhook_time_scale if webhook_time_scale is not None else scale
        self.webhooks = WebhookHub(lambda: self.injector.config, ladder_scale)
        self.webhooks.reseed(self.injector.config.seed)
        self._lock = threading.Lock()
        self.state = self._fresh_state()
        self.webhook_sender = WebhookSender(self.webhooks, lambda: self.state, self.clock)
        self.pipeline = Pipeline(
            state=lambda: self.state,
            clock=self.clock,
            api_keys=self.api_keys,
            limiter=self.limiter,
            injector=self.injector,
            idempotency=self.idempotency,
            witness=self.witness,
            admin=partial(admin.handle, self),
        )

    @classmethod
    def from_demo(cls, **kwargs: Any) -> Sandbox:
        """The bundled demo scenario (several customers, one per situation the agent must handle)."""
        return cls(load_scenario(DEMO_SCENARIO_PATH), **kwargs)

    def _fresh_state(self) -> SandboxState:
        state = build_state(
            self.scenario,
            clock=self.clock,
            job_clock=self.job_clock,
            job_settings=JobSettings(self.scenario.jobs, self.job_duration_scale, self.concurrent_jobs),
            rate_limit_tier=self.tier.name,
        )
        state.webhooks = self.webhooks
        return state

    def now(self) -> datetime:
        return self.clock()

    @property
    def faults(self) -> FaultConfig:
        return self.injector.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Install new fault settings now; the random sequence restarts from `faults.seed`."""
        self.injector.configure(faults)
        self.job_clock.set_stalled(faults.stall_jobs)
        self.webhooks.reseed(faults.seed)

    def advance(self, seconds: float) -> datetime:
        """Move the built-in ManualClock forward; jobs, windows and TTLs all follow it."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError(
                "advance() needs Sandbox(clock=ManualClock()); this sandbox runs on another clock"
            )
        return self.clock.advance(seconds)

    def reset(self) -> None:
        """Back to the scenario's initial data; witness, idempotency, rate-limit and request counters emptied."""
        with self._lock:
            new_state = self._fresh_state()
            with self.state.lock:
                self.state = new_state
            self.witness.clear()
            self.idempotency.clear()
            self.limiter.clear()
            self.pipeline.counters.clear()
            self.injector.configure(self.injector.config)
            self.webhooks.reset()

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        """Start serving on a background thread, webhook deliveries included; close the returned server
        (or use `with`)."""
        server = SandboxServer(self.pipeline, host, port, on_close=self.webhook_sender.stop)
        self.webhook_sender.start()
        return server

    def register_webhook(self, url: str, secret: str, events: Iterable[str] = CATALOG) -> str:
        """Register an endpoint with a known signing secret (start-up configuration); returns its id."""
        return self.webhooks.create(url=url, events=list(events), now=self.now(), secret=secret).id

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every delivery, newest first, with the fault drawn for it (GET /_sandbox/webhooks)."""
        return self.webhooks.views()

    def request_counts(self) -> list[dict[str, Any]]:
        """Every API answer counted by class, method, route, status and project (GET /_sandbox/counters)."""
        return self.pipeline.counters.items()

    def snapshot(self) -> dict[str, Any]:
        """A summary for GET /_sandbox/state: customers (with sandbox-only stage), jobs, containers."""
        state = self.state
        with state.lock:
            settling.settle(state)  # jobs, then reviews and posts (issue 15)
            at = state.job_clock.now()
            return {
                "now": iso(self.now()),
                "rateLimitTier": self.tier.name,
                "faults": self.faults.to_dict(),
                "projects": [
                    {
                        "id": ids.encode("project", p.id),
                        "name": p.name,
                        "customerExternalId": p.customer_external_id,
                        "stage": p.stage,
                        "requiresApproval": p.requires_approval,
                        "postCount": len(state.visible_posts(p.id)),
                        "priorClones": {
                            ids.encode("post", post.id): post.prior_clones
                            for post in state.visible_posts(p.id)
                            if post.prior_clones
                        },
                    }
                    for p in state.projects.values()
                ],
                "jobs": [
                    {
                        "jobId": ids.encode("job", job.id),
                        "kind": job.kind,
                        "status": job.status(at),
                        "projectId": ids.encode("project", job.project_id),
                        "containerIds": [ids.encode("container", c) for c in job.container_ids],
                        "sourcePostId": ids.encode("post", job.source_post_id),
                    }
                    for job in state.jobs.values()
                ],
                "containers": [
                    {
                        "id": ids.encode("container", c.id),
                        "projectId": ids.encode("project", c.project_id),
                        "status": lifecycle.container_status(state, c),
                        "approvalStatus": c.approval_status,
                        "origin": c.origin,
                        "sourcePostId": ids.encode("post", c.source_post_id),
                    }
                    for c in state.containers.values()
                ],
            }
