"""Social accounts and scheduling (contract §11, §15): a project's accounts, scheduling a container to them,
one scheduled post, and a project's scheduled posts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.sandbox import ids, publishing
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import not_found, validation
from agent.sandbox.pagination import QueryCursor, paginate
from agent.sandbox.params import BodyReader, parse_instant, q_bool, q_enum, q_list, q_str
from agent.sandbox.publishing_records import SocialAccountRec
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome

ACCOUNT_STATUSES = ("connected", "reauth_required", "disconnected")
MODES = ("publish", "draft", "managed", "direct_publish", "draft_to_device", "reels", "feed")
TARGET_FIELDS = (
    "socialAccountId",
    "mode",
    "captionOverride",
    "firstCommentOverride",
    "scheduledPostId",
    "tiktokMusic",
    "shareReelToFeed",
)
POST_STATUSES = ("queued", "publishing", "published", "failed", "canceled", "draft")
SKEW = timedelta(seconds=30)  # `scheduledFor` must be in the future, within this tolerance
MAX_TARGETS = 50


def _account_json(account: SocialAccountRec) -> dict[str, Any]:
    return {
        "socialAccountId": ids.encode("social_account", account.id),
        "platform": account.platform,
        "handle": account.handle,
        "avatarUrl": f"https://media.layers.com/sandbox/{account.platform}/{account.handle}/avatar.jpg",
        "status": account.status,
        "leased": False,
        "connectedAt": iso(account.connected_at),
        "tokenExpiresAt": iso(account.connected_at + timedelta(days=60)),
    }


def list_social_accounts(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    platform = q_enum(req, "platform", ("tiktok", "instagram"))
    status = q_enum(req, "status", ACCOUNT_STATUSES)
    leased = q_bool(req, "leased")
    rows = [
        account
        for account in state.social_accounts.values()
        if account.project_id == project.id
        and (platform is None or account.platform == platform)
        and (status is None or account.status == status)
        and leased is not True
    ]
    page = paginate(rows, req, QueryCursor(req), default_limit=50, max_limit=200)
    return ApiResponse(200, page.body(_account_json))


def schedule(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """POST /v1/content/:containerId/schedule: all targets or none; the approval gate decides the answer."""
    container = state.container(req.params["containerId"])
    req.note(
        container_id=ids.encode("container", container.id),
        project_id=ids.encode("project", container.project_id),
    )
    reader = BodyReader(req.json_body(), ("scheduledFor", "targets"))
    when = reader.string("scheduledFor", required=True, min_len=1)
    raw_targets = reader.data.get("targets")
    issues = reader.issues
    if not isinstance(raw_targets, list) or not 1 <= len(raw_targets) <= MAX_TARGETS:
        issues.append(("targets", f"Expected 1-{MAX_TARGETS} targets."))
        raw_targets = []
    targets: list[tuple[str, str]] = []
    for index, raw in enumerate(raw_targets):
        path = f"targets[{index}]"
        if not isinstance(raw, dict):
            issues.append((path, "Expected an object."))
            continue
        target = BodyReader(raw, TARGET_FIELDS, path, issues)
        account_ref = target.string("socialAccountId", required=True, min_len=1)
        mode = target.enum("mode", MODES, required=True)
        account = (
            state.social_accounts.get(ids.decode("social_account", account_ref)) if account_ref else None
        )
        if account_ref and (account is None or account.project_id != container.project_id):
            issues.append((f"{path}.socialAccountId", "Unknown social account for this project."))
        elif account is not None and account.status != "connected":
            issues.append(
                (f"{path}.socialAccountId", f"The account is {account.status}; reconnect it first.")
            )
        elif account is not None and mode:
            targets.append((account.id, mode))
    scheduled_for = parse_instant(when, "scheduledFor", allow_date=False) if when else None
    if scheduled_for is not None and scheduled_for < req.now - SKEW:
        issues.append(("scheduledFor", "Must be in the future."))
    reader.done()
    if scheduled_for is None:
        raise validation([("scheduledFor", "Required.")])
    publishing.not_schedulable(state, container)
    status, body = publishing.schedule(state, container, scheduled_for, targets)
    req.outcome = Outcome.APPLIED
    return ApiResponse(status, body)


def get_scheduled_post(req: ApiRequest, state: SandboxState) -> ApiResponse:
    post = state.scheduled_posts.get(ids.decode("scheduled_post", req.params["scheduledPostId"]))
    if post is None:
        raise not_found("Scheduled post not found.")
    return ApiResponse(200, publishing.post_json(post, req.now))


def list_scheduled_posts(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    statuses = q_list(req, "status")
    for status in statuses:
        if status not in POST_STATUSES:
            raise validation([("status", f"Unknown status {status!r}.")])
    account = q_str(req, "socialAccountId")
    since_raw, until_raw = q_str(req, "since"), q_str(req, "until")
    since = parse_instant(since_raw, "since", allow_date=False) if since_raw else None
    until = parse_instant(until_raw, "until", allow_date=False) if until_raw else None
    rows = [
        post
        for post in state.scheduled_posts.values()
        if post.project_id == project.id
        and (not statuses or publishing.post_status(post, req.now) in statuses)
        and (account is None or post.social_account_id == ids.decode("social_account", account))
        and (since is None or post.scheduled_for >= since)
        and (until is None or post.scheduled_for <= until)
    ]
    rows.sort(key=lambda post: (post.scheduled_for, post.id), reverse=True)
    page = paginate(rows, req, QueryCursor(req), default_limit=50, max_limit=100)
    return ApiResponse(200, page.body(lambda post: publishing.post_json(post, req.now)))
