"""The simulated org's data, in memory, behind one re-entrant lock, and the lookups handlers share.

Built from a scenario by `agent.sandbox.loader`; jobs and containers change only through
`agent.sandbox.lifecycle`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import Clock, JobClock
from agent.sandbox.errors import not_found
from agent.sandbox.jobs import Job
from agent.sandbox.publishing_records import ScheduledPostRec, SocialAccountRec, StashRec
from agent.sandbox.publishing_schema import Publishing
from agent.sandbox.records import (
    AdRec,
    AdsContentRec,
    ContainerRec,
    PostRec,
    ProjectRec,
    RecommendationRec,
    StoredAnswer,
)
from agent.sandbox.scenario_schema import JobDefaults, Organization
from agent.sandbox.webhooks import WebhookHub


@dataclass(frozen=True)
class JobSettings:
    """How jobs run here: the scenario's defaults, their duration scale, and the running-jobs cap."""

    defaults: JobDefaults
    duration_scale: float
    concurrent_jobs: int | None


@dataclass
class SandboxState:
    organization: Organization
    clock: Clock
    job_clock: JobClock
    job_settings: JobSettings
    rate_limit_tier: str = "standard"
    lock: threading.RLock = field(default_factory=threading.RLock)
    projects: dict[str, ProjectRec] = field(default_factory=dict)
    posts: dict[str, PostRec] = field(default_factory=dict)
    ads_content: dict[str, AdsContentRec] = field(default_factory=dict)
    ads: list[AdRec] = field(default_factory=list)
    recommendations: dict[str, RecommendationRec] = field(default_factory=dict)
    containers: dict[str, ContainerRec] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    clone_answers: dict[str, StoredAnswer] = field(default_factory=dict)
    generation_answers: dict[str, StoredAnswer] = field(default_factory=dict)
    webhooks: WebhookHub | None = None  # set by the Sandbox; it outlives a reset
    # publish and learn (issue 15): agent.sandbox.publishing
    publishing: dict[str, Publishing] = field(default_factory=dict)
    social_accounts: dict[str, SocialAccountRec] = field(default_factory=dict)
    scheduled_posts: dict[str, ScheduledPostRec] = field(default_factory=dict)
    stashes: dict[str, StashRec] = field(default_factory=dict)
    raw_top_performers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def emit(self, type: str, data: dict[str, Any]) -> None:
        """A webhook event (contract §23.1) for every endpoint subscribed to it."""
        if self.webhooks is not None:
            self.webhooks.publish(type, data, self.clock())

    def project(self, raw_id: str) -> ProjectRec:
        project = self.projects.get(ids.decode("project", raw_id))
        if project is None:
            raise not_found("Project not found.")
        return project

    def container(self, raw_id: str) -> ContainerRec:
        container = self.containers.get(ids.decode("container", raw_id))
        if container is None:
            raise not_found("Container not found.")
        return container

    def job(self, raw_id: str) -> Job:
        job = self.jobs.get(ids.decode("job", raw_id))
        if job is None:
            raise not_found("Job not found.")
        return job

    def visible_posts(self, project_id: str | None = None) -> list[PostRec]:
        """Posts already published at the current sandbox time (job-published posts may be delayed)."""
        now = self.clock()
        return [
            post
            for post in self.posts.values()
            if post.published_at <= now and (project_id is None or post.project_id == project_id)
        ]

    def find_post(self, project_id: str, reference: str) -> PostRec | None:
        """A clone source: the `pp_` id, its bare UUID, or the platform-native external id."""
        post = self.posts.get(ids.decode("post", reference))
        if post is None:
            post = next(
                (p for p in self.posts.values() if p.external_id and p.external_id == reference), None
            )
        if post is None or post.project_id != project_id or post.published_at > self.clock():
            return None
        return post

    def score_and_override(self, post: PostRec) -> tuple[float | None, str | None]:
        """A post linked to an ads-content row is gated by that row (the PATCH override lands there)."""
        row = self.ads_content.get(post.ads_content_id or "")
        if row is not None:
            return row.organic_score, row.override
        return post.organic_score, post.override
