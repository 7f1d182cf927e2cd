"""Content: brief generation (§12.1), clone-from-post (§13), containers (§14), approve/reject (§9)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso, iso_seconds
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import conflict, not_found, validation
from agent.sandbox.jobs import STAGES, Job
from agent.sandbox.params import (
    BodyReader,
    paginate,
    parse_instant,
    q_enum,
    q_enum_list,
    q_list,
    q_str,
    query_bind,
)
from agent.sandbox.state import MEDIA_BASE, ContainerRec, ProjectRec, SandboxState, StoredAnswer
from agent.sandbox.witness import Outcome

GEN_B_FORMATS = ("video-remix", "slideshow-remix", "ugc-remix", "slideshow-builder")
FORMAT_ALIASES = {
    "video_remix": "video-remix",
    "slideshow_remix": "slideshow-remix",
    "ugc_remix": "ugc-remix",
    "slideshow_builder": "slideshow-builder",
    "auto": "video-remix",
    **{name: name for name in GEN_B_FORMATS},
}
BRIEF_FIELDS = (
    "topic",
    "angle",
    "cta",
    "valuePropositions",
    "hook",
    "targetPlatforms",
    "themeTags",
    "influencerId",
    "referenceMediaIds",
    "language",
)
CONTAINER_STATUSES = ("queued", "processing", "completed", "failed", "canceled")


def _fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def job_envelope(job: Job) -> dict[str, Any]:
    """The 202 answer of every job-starting POST (§7.1), with both containerId and containerIds[]."""
    return {
        "jobId": f"job_{job.id}",
        "kind": job.kind,
        "status": "running",
        "stage": "queued",
        "projectId": f"prj_{job.project_id}",
        "containerId": f"cnt_{job.container_ids[0]}",
        "containerIds": [f"cnt_{c}" for c in job.container_ids],
        "locationUrl": f"/v1/jobs/job_{job.id}",
        "startedAt": iso(job.started_at),
    }


def _writable(project: ProjectRec) -> None:
    if project.status == "archived":
        raise conflict("Project is archived; new generation is stopped.", projectId=f"prj_{project.id}")


def _container_uuid(raw: str, path: str) -> str:
    value = ids.bare(raw, "cnt")
    if not ids.is_uuid(value):
        raise validation([(path, "Expected a UUID (optionally cnt_-prefixed).")])
    return value


def _replay(
    answers: dict[str, StoredAnswer], cid: str, fingerprint: str, req: ApiRequest
) -> ApiResponse | None:
    """Resource-level idempotency: the container id names the operation."""
    prior = answers.get(cid)
    if prior is None:
        return None
    if prior.fingerprint != fingerprint:
        raise conflict(
            "This container id was already used for a different request.",
            subcode="CONTAINER_ID_REUSED",
            containerId=f"cnt_{cid}",
        )
    req.outcome = Outcome.REPLAYED
    req.note(job_id=prior.body["jobId"], container_ids=tuple(prior.body["containerIds"]))
    return ApiResponse(prior.status, prior.body)


# ---- POST /v1/projects/:projectId/content ------------------------------------------------------


def generate(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    data = req.json_body()
    reader = BodyReader(data, ("id", "projectLayerId", "format", "variantCount", "brief"))
    raw_id = reader.string("id", min_len=1)
    reader.string("projectLayerId", min_len=1)
    format_name = reader.enum("format", tuple(FORMAT_ALIASES), default="auto")
    variants = reader.integer("variantCount", default=1, lo=1, hi=5)
    brief = reader.nested("brief", BRIEF_FIELDS)
    hook = cta = None
    if brief is not None:
        for name in ("topic", "angle", "cta", "hook", "influencerId", "language"):
            brief.string(name, max_len=2000)
        for name in ("valuePropositions", "targetPlatforms", "themeTags", "referenceMediaIds"):
            brief.string_list(name)
        hook = brief.data.get("hook") or brief.data.get("topic")
        cta = brief.data.get("cta")
    reader.done()
    cid = _container_uuid(raw_id, "id") if raw_id else None
    req.note(project_id=f"prj_{project.id}", container_id=f"cnt_{cid}" if cid else None)
    fingerprint = _fingerprint({"projectId": project.id, "body": data})
    if cid is not None:
        replay = _replay(state.generation_answers, cid, fingerprint, req)
        if replay is not None:
            return replay
        state.ensure_container_id_free(cid)
    _writable(project)
    state.check_concurrency()
    container_ids = [cid or ids.new_uuid()] + [ids.new_uuid() for _ in range(variants - 1)]
    job = state.start_job(
        kind="content_generate",
        project=project,
        container_ids=container_ids,
        behaviour=project.generation_job,
        origin="generate",
        format_name=FORMAT_ALIASES[format_name],
        hook=hook,
        caption=cta,
        brief=data.get("brief"),
    )
    body = job_envelope(job)
    if cid is not None:
        state.generation_answers[cid] = StoredAnswer(fingerprint, 202, body)
    req.outcome = Outcome.APPLIED
    req.note(
        container_id=body["containerId"], container_ids=tuple(body["containerIds"]), job_id=body["jobId"]
    )
    return ApiResponse(202, body)


# ---- clone-from-post ----------------------------------------------------------------------------

CLONE_FIELDS = ("projectId", "projectLayerId", "sourcePlatformPostId", "mode", "variations", "overrides")


def _read_clone_body(req: ApiRequest, *, project_required: bool) -> dict[str, Any]:
    reader = BodyReader(req.json_body(), CLONE_FIELDS)
    parsed = {
        "projectId": reader.string("projectId", required=project_required, min_len=1),
        "projectLayerId": reader.string("projectLayerId", min_len=1),
        "sourcePlatformPostId": reader.string("sourcePlatformPostId", required=True, min_len=1),
        "mode": reader.enum("mode", ("fork", "reimagine"), default="fork"),
        "variations": reader.integer("variations", default=1, lo=1, hi=10),
        "overrides": None,
    }
    overrides = reader.nested("overrides", ("caption", "cta", "voiceOverScript"))
    if overrides is not None:
        parsed["overrides"] = {
            name: overrides.string(name, max_len=4000) for name in ("caption", "cta", "voiceOverScript")
        }
    reader.done()
    return parsed


def clone_from_post(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """POST /v1/content/:containerId/clone-from-post: the client-minted id is the idempotency key."""
    cid = _container_uuid(req.params["containerId"], "containerId")
    body = _read_clone_body(req, project_required=True)
    return _clone(req, state, cid, body)


def clone_from_post_in_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """The path recommendations point at (§13 CONFLICT-IN-DOCS): the server mints the container id."""
    project_ref = req.params["projectId"]
    body = _read_clone_body(req, project_required=False)
    if body["projectId"] and ids.bare(body["projectId"], "prj") != ids.bare(project_ref, "prj"):
        raise validation([("projectId", "Does not match the project in the path.")])
    body["projectId"] = project_ref
    return _clone(req, state, ids.new_uuid(), body)


def _clone(req: ApiRequest, state: SandboxState, cid: str, body: dict[str, Any]) -> ApiResponse:
    source_ref = body["sourcePlatformPostId"]
    req.note(container_id=f"cnt_{cid}", source_post_id=source_ref)
    fingerprint = _fingerprint(
        {
            **body,
            "projectId": ids.bare(body["projectId"], "prj"),
            "sourcePlatformPostId": ids.bare(source_ref, "pp"),
        }
    )
    replay = _replay(state.clone_answers, cid, fingerprint, req)
    if replay is not None:
        return replay
    project = state.project(body["projectId"])
    req.note(project_id=f"prj_{project.id}")
    post = state.find_post(project.id, source_ref)
    if post is None:
        raise not_found("Source post not found in this project.")
    req.note(source_post_id=f"pp_{post.id}")
    state.ensure_container_id_free(cid)
    _writable(project)
    state.check_concurrency()
    overrides = body["overrides"] or {}
    hook = post.title if body["mode"] == "fork" else f"Reimagined: {post.title}"
    job = state.start_job(
        kind="content_clone_from_post",
        project=project,
        container_ids=[cid] + [ids.new_uuid() for _ in range(body["variations"] - 1)],
        behaviour=post.clone_job,
        origin="clone",
        format_name="video-remix",
        hook=hook,
        caption=overrides.get("caption") or post.title,
        source_post=post,
    )
    envelope = job_envelope(job)
    state.clone_answers[cid] = StoredAnswer(fingerprint, 202, envelope)
    req.outcome = Outcome.APPLIED
    req.note(container_ids=tuple(envelope["containerIds"]), job_id=envelope["jobId"])
    return ApiResponse(202, envelope)


# ---- containers ---------------------------------------------------------------------------------


def container_json(container: ContainerRec, state: SandboxState) -> dict[str, Any]:
    status = state.container_status(container)
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
                "assetId": container.asset_id,
                "kind": "video",
                "url": f"{base}/video.mp4",
                "thumbnailUrl": f"{base}/thumb.jpg",
            }
        ]
    return {
        "id": f"cnt_{container.id}",
        "projectId": f"prj_{container.project_id}",
        "status": status,
        "format": container.format,
        "hook": container.hook,
        "influencerId": None,
        "sourceTiktokId": None,
        "mediaId": f"med_{container.asset_id.removeprefix('ast_')}"
        if completed and container.asset_id
        else None,
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
    status = state.container_status(container)
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
            "containerId": f"cnt_{container.id}",
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
        and (not statuses or state.container_status(c) in statuses)
        and (not formats or c.format in formats)
        and creative_type in (None, "generated")
        and (since is None or c.created_at >= since)
        and (until is None or c.created_at <= until)
    ]
    rows.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    page = paginate(rows, req, bind=query_bind(req), default_limit=25, max_limit=200)
    items = []
    for container in page["items"]:
        full = container_json(container, state)
        items.append(
            {
                "id": full["id"],
                "status": full["status"],
                "format": full["format"],
                "caption": full["caption"],
                "approvalStatus": full["approvalStatus"],
                "createdAt": full["createdAt"],
                "completedAt": full["completedAt"],
                "primaryAsset": full["assets"][0] if full["assets"] else None,
            }
        )
    page["items"] = items
    return ApiResponse(200, page)


# ---- approval -----------------------------------------------------------------------------------


def _reviewable(container: ContainerRec, state: SandboxState) -> None:
    status = state.container_status(container)
    if status != "completed":
        raise conflict(
            "Only completed content can be reviewed.", containerId=f"cnt_{container.id}", status=status
        )
    if container.approval_status == "not_required":
        raise conflict(
            "Container does not require approval.",
            containerId=f"cnt_{container.id}",
            approvalStatus="not_required",
        )


def approve(req: ApiRequest, state: SandboxState) -> ApiResponse:
    container = state.container(req.params["containerId"])
    reader = BodyReader(req.json_body(), ("note",))
    reader.string("note", max_len=1024)
    reader.done()
    req.note(container_id=f"cnt_{container.id}", project_id=f"prj_{container.project_id}")
    _reviewable(container, state)
    if container.approval_status == "rejected":
        raise conflict("Container was already rejected.", approvalStatus="rejected")
    if container.approval_status == "pending":
        container.approval_status = "approved"
        container.approved_at = req.now
        container.approved_by = f"api_key_{req.api_key_id}"
        req.outcome = Outcome.APPLIED
    else:
        req.outcome = Outcome.REPLAYED
    return ApiResponse(
        200,
        {
            "id": f"cnt_{container.id}",
            "approvalStatus": container.approval_status,
            "approvedAt": iso(container.approved_at) if container.approved_at else None,
            "approvedBy": container.approved_by,
        },
    )


def reject(req: ApiRequest, state: SandboxState) -> ApiResponse:
    container = state.container(req.params["containerId"])
    reader = BodyReader(req.json_body(), ("reason",))
    reason = reader.string("reason", required=True, min_len=1, max_len=1024)
    reader.done()
    req.note(container_id=f"cnt_{container.id}", project_id=f"prj_{container.project_id}")
    _reviewable(container, state)
    if container.approval_status != "pending":
        raise conflict("Container was already reviewed.", approvalStatus=container.approval_status)
    container.approval_status = "rejected"
    req.outcome = Outcome.APPLIED
    return ApiResponse(
        200,
        {
            "id": f"cnt_{container.id}",
            "approvalStatus": "rejected",
            "rejectedAt": iso(req.now),
            "rejectedBy": f"api_key_{req.api_key_id}",
            "reason": reason,
        },
    )
