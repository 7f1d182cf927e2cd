"""Containers (contract §14): one container, its progress, and a project's list."""

from __future__ import annotations

from typing import Any

from agent.sandbox import ids, lifecycle
from agent.sandbox.clock import iso, iso_seconds
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import validation
from agent.sandbox.jobs import STAGES
from agent.sandbox.pagination import QueryCursor, paginate
from agent.sandbox.params import parse_instant, q_enum, q_enum_list, q_list, q_str
from agent.sandbox.records import MEDIA_BASE, ContainerRec
from agent.sandbox.state import SandboxState

GEN_B_FORMATS = ("video-remix", "slideshow-remix", "ugc-remix", "slideshow-builder")
FORMAT_ALIASES = {
    "video_remix": "video-remix",
    "slideshow_remix": "slideshow-remix",
    "ugc_remix": "ugc-remix",
    "slideshow_builder": "slideshow-builder",
    "auto": "video-remix",
    **{name: name for name in GEN_B_FORMATS},
}
CONTAINER_STATUSES = ("queued", "processing", "completed", "failed", "canceled")
LIST_FIELDS = ("id", "status", "format", "caption", "approvalStatus", "createdAt", "completedAt")


def container_json(container: ContainerRec, state: SandboxState) -> dict[str, Any]:
    status = lifecycle.container_status(state, container)
    completed = status == "completed"
    base = f"{MEDIA_BASE}/{container.id}"
    preview = assets = None
    if completed:
        preview = {
            "kind": "video",
            "primaryUrl": f"{base}/video.mp4",
            "videoUrl": f"{base}/video.mp4",
            "thumbnailUrl": f"{base}/thumb.jpg",
            "hlsUrl": None,
            "durationMs": 9200,
            "aspectRatio": "9:16",
        }
        assets = [
            {
                "assetId": ids.encode("asset", container.asset_id),
                "kind": "video",
                "url": f"{base}/video.mp4",
                "thumbnailUrl": f"{base}/thumb.jpg",
            }
        ]
    return {
        "id": ids.encode("container", container.id),
        "projectId": ids.encode("project", container.project_id),
        "status": status,
        "format": container.format,
        "hook": container.hook,
        "influencerId": None,
        "sourceTiktokId": None,
        "mediaId": ids.encode("media", container.asset_id) if completed else None,
        "caption": container.caption,
        "firstComment": None,
        "preview": preview,
        "assets": assets or [],
        "approvalStatus": container.approval_status,
        "creativeType": "generated",
        "brief": container.brief,
        "createdAt": iso(container.created_at),
        "completedAt": iso(container.finished_at) if completed and container.finished_at else None,
        "failedAt": iso(container.finished_at) if status == "failed" and container.finished_at else None,
        "lastError": container.last_error,
    }


def get_container(req: ApiRequest, state: SandboxState) -> ApiResponse:
    return ApiResponse(200, container_json(state.container(req.params["containerId"]), state))


def container_progress(req: ApiRequest, state: SandboxState) -> ApiResponse:
    container = state.container(req.params["containerId"])
    job = state.jobs[container.job_id]
    at = state.job_clock.now()
    stage = job.stage(at)
    status = lifecycle.container_status(state, container)
    starts = dict(STAGES)
    names = [name for name, _ in STAGES]
    stage_start = starts[stage]
    stage_end = starts[names[names.index(stage) + 1]] if stage != names[-1] else 1.0
    fraction = job.fraction(min(at, job.end))
    if status == "completed":
        stage_progress = 1.0
    else:
        stage_progress = round(min(0.99, max(0.0, (fraction - stage_start) / (stage_end - stage_start))), 2)
    running = status in ("queued", "processing")
    return ApiResponse(
        200,
        {
            "containerId": ids.encode("container", container.id),
            "status": status,
            "stage": stage,
            "stageProgress": stage_progress,
            "etaSeconds": max(0, round((job.end - at).total_seconds())) if running else None,
            "updatedAt": iso_seconds(req.now),
        },
    )


def list_containers(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    statuses = ["processing" if s == "generating" else s for s in q_list(req, "status")]
    for status in statuses:
        if status not in CONTAINER_STATUSES:
            raise validation([("status", f"Unknown status {status!r}.")])
    formats = [FORMAT_ALIASES.get(f, f) for f in q_enum_list(req, "format", tuple(FORMAT_ALIASES))]
    creative_type = q_enum(req, "creativeType", ("generated", "uploaded"))
    since_raw, until_raw = q_str(req, "since"), q_str(req, "until")
    since = parse_instant(since_raw, "since", allow_date=False) if since_raw else None
    until = parse_instant(until_raw, "until", allow_date=False) if until_raw else None
    rows = [
        c
        for c in state.containers.values()
        if c.project_id == project.id
        and (not statuses or lifecycle.container_status(state, c) in statuses)
        and (not formats or c.format in formats)
        and creative_type in (None, "generated")
        and (since is None or c.created_at >= since)
        and (until is None or c.created_at <= until)
    ]
    rows.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    page = paginate(rows, req, QueryCursor(req), default_limit=25, max_limit=200)

    def item(container: ContainerRec) -> dict[str, Any]:
        full = container_json(container, state)
        return {
            **{name: full[name] for name in LIST_FIELDS},
            "primaryAsset": full["assets"][0] if full["assets"] else None,
        }

    return ApiResponse(200, page.body(item))
