"""GET /v1/projects/:projectId/metrics: organic series over a window (contract §16)."""

from __future__ import annotations

from agent.sandbox import ids
from agent.sandbox.clock import iso_seconds
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.endpoints.windows import check_buckets, window
from agent.sandbox.errors import not_found, validation
from agent.sandbox.params import q_enum, q_list, q_str
from agent.sandbox.records import PostRec
from agent.sandbox.series import DEFAULT_ORGANIC, ORGANIC_METRICS, organic_series
from agent.sandbox.state import SandboxState

METRIC_SCOPES = ("platform_post", "social_account", "project", "project_layer", "organization")
PAID_ON_ORGANIC = (
    "conversions",
    "spend",
    "roas",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "clicks",
    "frequency",
    "revenue",
)


def metrics(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    scope = q_enum(req, "scope", METRIC_SCOPES)
    scoped_id = q_str(req, "id")
    issues = []
    if scope is None:
        issues.append(("scope", f"Required; one of: {', '.join(METRIC_SCOPES)}."))
    if not scoped_id:
        issues.append(("id", "Required."))
    requested = q_list(req, "metrics")
    for name in requested:
        if name in PAID_ON_ORGANIC:
            issues.append(("metrics", f"{name} is a paid metric; use /ads-metrics."))
        elif name not in ORGANIC_METRICS:
            issues.append(("metrics", f"Unknown metric {name!r}."))
    if issues:
        raise validation(issues)
    since, until = window(req, allow_date=False)
    granularity = q_enum(req, "granularity", ("hour", "day", "week"), "day") or "day"
    check_buckets(since, until, granularity)
    posts = _scoped_posts(state, project.id, scope or "", scoped_id or "")
    series, totals = organic_series(
        posts, requested or list(DEFAULT_ORGANIC), since, until, granularity, req.now
    )
    return ApiResponse(
        200,
        {
            "scope": scope,
            "id": scoped_id,
            "window": {"since": iso_seconds(since), "until": iso_seconds(until), "granularity": granularity},
            "series": series,
            "totals": totals,
        },
    )


def _scoped_posts(state: SandboxState, project_id: str, scope: str, scoped_id: str) -> list[PostRec]:
    posts = state.visible_posts(project_id)
    if scope == "project":
        if ids.decode("project", scoped_id) != project_id:
            raise not_found("The scoped project does not match the URL project.")
        return posts
    if scope == "platform_post":
        chosen = [p for p in posts if p.id == ids.decode("post", scoped_id) or p.external_id == scoped_id]
        if not chosen:
            raise not_found("Platform post not found in this project.")
        return chosen
    if scope == "organization":
        if ids.decode("organization", scoped_id) != ids.decode("organization", state.organization.id):
            raise not_found("Organization not found.")
        return posts
    if scope == "project_layer":
        return posts
    raise not_found("Social account not found in this project.")
