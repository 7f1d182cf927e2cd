"""The route table: method + path template -> handler, rate-limit class and witness kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.endpoints import (
    account,
    ads_content,
    ads_metrics,
    clones,
    containers,
    generation,
    jobs,
    metrics,
    projects,
    recommendations,
    review,
    scheduling,
    top_performers,
    webhook_endpoints,
)
from agent.sandbox.ratelimit import LONG_RUNNING, READ_LIGHT, WRITE_LIGHT
from agent.sandbox.state import SandboxState

Handler = Callable[[ApiRequest, SandboxState], ApiResponse]
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    endpoint_class: str
    handler: Handler
    kind: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


ROUTES = (
    Route("GET", "/v1/whoami", READ_LIGHT, account.whoami),
    Route("GET", "/v1/credits", READ_LIGHT, account.credits),
    Route("POST", "/v1/projects", WRITE_LIGHT, projects.create_project, "project_create"),
    Route("GET", "/v1/projects", READ_LIGHT, projects.list_projects),
    Route("GET", "/v1/projects/{projectId}", READ_LIGHT, projects.get_project),
    Route("PATCH", "/v1/projects/{projectId}", WRITE_LIGHT, projects.patch_project, "project_update"),
    Route("GET", "/v1/projects/{projectId}/metrics", READ_LIGHT, metrics.metrics),
    Route("GET", "/v1/projects/{projectId}/top-performers", READ_LIGHT, top_performers.top_performers),
    Route("GET", "/v1/projects/{projectId}/ads-content", READ_LIGHT, ads_content.list_ads_content),
    Route(
        "PATCH",
        "/v1/projects/{projectId}/ads-content/{adsContentId}",
        WRITE_LIGHT,
        ads_content.patch_ads_content,
        "ads_content_override",
    ),
    Route("GET", "/v1/projects/{projectId}/ads-metrics", READ_LIGHT, ads_metrics.ads_metrics),
    Route("GET", "/v1/projects/{projectId}/recommendations", READ_LIGHT, recommendations.recommendations),
    Route("POST", "/v1/projects/{projectId}/content", LONG_RUNNING, generation.generate, "generate"),
    Route("GET", "/v1/projects/{projectId}/content", READ_LIGHT, containers.list_containers),
    Route(
        "POST",
        "/v1/projects/{projectId}/content/clone-from-post",
        LONG_RUNNING,
        clones.clone_from_post_in_project,
        "clone",
    ),
    Route("POST", "/v1/content/{containerId}/clone-from-post", LONG_RUNNING, clones.clone_from_post, "clone"),
    Route("GET", "/v1/content/{containerId}", READ_LIGHT, containers.get_container),
    Route("GET", "/v1/content/{containerId}/progress", READ_LIGHT, containers.container_progress),
    Route("POST", "/v1/content/{containerId}/approve", WRITE_LIGHT, review.approve, "approve"),
    Route("POST", "/v1/content/{containerId}/reject", WRITE_LIGHT, review.reject, "reject"),
    Route("GET", "/v1/jobs/{jobId}", READ_LIGHT, jobs.get_job),
    Route("POST", "/v1/jobs/{jobId}/cancel", WRITE_LIGHT, jobs.cancel_job, "job_cancel"),
    Route(
        "POST",
        "/v1/webhook-endpoints",
        WRITE_LIGHT,
        webhook_endpoints.create_endpoint,
        "webhook_endpoint_create",
    ),
    Route("GET", "/v1/webhook-endpoints", READ_LIGHT, webhook_endpoints.list_endpoints),
    Route("GET", "/v1/webhook-endpoints/{endpointId}", READ_LIGHT, webhook_endpoints.get_endpoint),
    Route(
        "POST",
        "/v1/webhook-endpoints/{endpointId}/test",
        WRITE_LIGHT,
        webhook_endpoints.test_endpoint,
        "webhook_test",
    ),
    Route(
        "POST",
        "/v1/webhook-endpoints/{endpointId}/rotate-secret",
        WRITE_LIGHT,
        webhook_endpoints.rotate_secret,
        "webhook_secret_rotate",
    ),
    Route(
        "GET",
        "/v1/webhook-endpoints/{endpointId}/deliveries",
        READ_LIGHT,
        webhook_endpoints.list_deliveries,
    ),
    # publish and learn (issue 15)
    Route("GET", "/v1/projects/{projectId}/social-accounts", READ_LIGHT, scheduling.list_social_accounts),
    Route("POST", "/v1/content/{containerId}/schedule", WRITE_LIGHT, scheduling.schedule, "schedule"),
    Route("GET", "/v1/scheduled-posts/{scheduledPostId}", READ_LIGHT, scheduling.get_scheduled_post),
    Route("GET", "/v1/projects/{projectId}/scheduled-posts", READ_LIGHT, scheduling.list_scheduled_posts),
)
_COMPILED = [(route, route.pattern) for route in ROUTES]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route, pattern in _COMPILED:
        if route.method == method:
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
    return None


def default_class(method: str) -> str:
    """The class reported for paths that match no route."""
    return READ_LIGHT if method == "GET" else WRITE_LIGHT
