"""The Layers routes the client calls and their rate-limit class.

Route templates (`/v1/jobs/{jobId}`) are what gets logged and measured, so label cardinality stays
bounded and no id ends up in a metric name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote


class EndpointClass(StrEnum):
    """The server's independent rate-limit buckets (contract §4.2)."""

    READ_LIGHT = "read-light"
    WRITE_LIGHT = "write-light"
    LONG_RUNNING = "long-running"


# POSTs that start a job; every other POST is write-light (contract §0.1, §4.2).
LONG_RUNNING_POSTS = frozenset(
    {
        "/v1/content/{containerId}/clone-from-post",
        "/v1/projects/{projectId}/content",
        "/v1/projects/{projectId}/content/clone-from-post",
        "/v1/projects/{projectId}/content/{format}",
        "/v1/projects/{projectId}/influencers",
        "/v1/projects/{projectId}/ads/optimizer/run",
        "/v1/projects/{projectId}/github/ingest",
        "/v1/projects/{projectId}/ingest/{source}",
    }
)
_PLACEHOLDER = re.compile(r"\{[A-Za-z]+\}")


def endpoint_class_for(method: str, template: str) -> EndpointClass:
    """GET reads; job-starting POSTs are long-running; PATCH, DELETE and other POSTs are light writes."""
    if method == "GET":
        return EndpointClass.READ_LIGHT
    if method == "POST" and template in LONG_RUNNING_POSTS:
        return EndpointClass.LONG_RUNNING
    return EndpointClass.WRITE_LIGHT


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    endpoint_class: EndpointClass = field(init=False)
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "endpoint_class", endpoint_class_for(self.method, self.template))
        regex = "[^/]+".join(re.escape(part) for part in _PLACEHOLDER.split(self.template))
        object.__setattr__(self, "pattern", re.compile(regex))

    @property
    def name(self) -> str:
        """`GET /v1/jobs/{jobId}`: how the route is named in logs, metrics and ContractErrors."""
        return f"{self.method} {self.template}"

    def at(self, **params: str) -> Target:
        """The concrete target; every id is percent-encoded so it can never add a segment."""
        return Target(self, self.template.format(**{k: quote(str(v), safe="") for k, v in params.items()}))


@dataclass(frozen=True)
class Target:
    """One request's path, with the route it is limited, logged and measured as (never by its ids)."""

    route: Route
    path: str


WHOAMI = Route("GET", "/v1/whoami")
CREATE_PROJECT = Route("POST", "/v1/projects")
LIST_PROJECTS = Route("GET", "/v1/projects")
GET_PROJECT = Route("GET", "/v1/projects/{projectId}")
PATCH_PROJECT = Route("PATCH", "/v1/projects/{projectId}")
METRICS = Route("GET", "/v1/projects/{projectId}/metrics")
TOP_PERFORMERS = Route("GET", "/v1/projects/{projectId}/top-performers")
LIST_ADS_CONTENT = Route("GET", "/v1/projects/{projectId}/ads-content")
PATCH_ADS_CONTENT = Route("PATCH", "/v1/projects/{projectId}/ads-content/{adsContentId}")
ADS_METRICS = Route("GET", "/v1/projects/{projectId}/ads-metrics")
LIST_RECOMMENDATIONS = Route("GET", "/v1/projects/{projectId}/recommendations")
CLONE_FROM_POST = Route("POST", "/v1/content/{containerId}/clone-from-post")
PROJECT_CLONE_FROM_POST = Route("POST", "/v1/projects/{projectId}/content/clone-from-post")
GENERATE_CONTENT = Route("POST", "/v1/projects/{projectId}/content")
GET_CONTENT = Route("GET", "/v1/content/{containerId}")
GET_JOB = Route("GET", "/v1/jobs/{jobId}")
CANCEL_JOB = Route("POST", "/v1/jobs/{jobId}/cancel")
# webhook endpoints (issue 11): registered by `agent webhooks`, never a suggested action
LIST_WEBHOOK_ENDPOINTS = Route("GET", "/v1/webhook-endpoints")
CREATE_WEBHOOK_ENDPOINT = Route("POST", "/v1/webhook-endpoints")
ROTATE_WEBHOOK_SECRET = Route("POST", "/v1/webhook-endpoints/{endpointId}/rotate-secret")
# publish and learn (issue 15): approved clones go live
LIST_SOCIAL_ACCOUNTS = Route("GET", "/v1/projects/{projectId}/social-accounts")
SCHEDULE_CONTENT = Route("POST", "/v1/content/{containerId}/schedule")
GET_SCHEDULED_POST = Route("GET", "/v1/scheduled-posts/{scheduledPostId}")
LIST_SCHEDULED_POSTS = Route("GET", "/v1/projects/{projectId}/scheduled-posts")

# Order matters where templates overlap: specific before generic.
KNOWN_ROUTES = (
    WHOAMI,
    CREATE_PROJECT,
    LIST_PROJECTS,
    GET_PROJECT,
    PATCH_PROJECT,
    METRICS,
    TOP_PERFORMERS,
    LIST_ADS_CONTENT,
    PATCH_ADS_CONTENT,
    ADS_METRICS,
    LIST_RECOMMENDATIONS,
    CLONE_FROM_POST,
    PROJECT_CLONE_FROM_POST,
    GENERATE_CONTENT,
    Route("POST", "/v1/projects/{projectId}/content/{format}"),
    GET_CONTENT,
    GET_JOB,
    CANCEL_JOB,
    Route("POST", "/v1/projects/{projectId}/influencers"),
    Route("POST", "/v1/projects/{projectId}/ads/optimizer/run"),
    Route("POST", "/v1/projects/{projectId}/github/ingest"),
    Route("POST", "/v1/projects/{projectId}/ingest/{source}"),
)


def route_for(method: str, path: str) -> Route:
    """The known route of a path that passed `validate_suggested_action`, else a coarse `/v1/<resource>/…`."""
    method = method.upper()
    for route in KNOWN_ROUTES:
        if route.method == method and route.pattern.fullmatch(path):
            return route
    resource = path.split("/")[2]
    return Route(method, f"/v1/{resource}/…")
