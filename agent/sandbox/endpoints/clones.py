"""Clone-from-post (contract §13): a new container modelled on a published post."""

from __future__ import annotations

from typing import Any

from agent.sandbox import ids, lifecycle
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.endpoints.job_starts import accepted, remember, replay
from agent.sandbox.errors import not_found, validation
from agent.sandbox.idempotency import fingerprint
from agent.sandbox.params import BodyReader, client_uuid
from agent.sandbox.state import SandboxState

CLONE_FIELDS = ("projectId", "projectLayerId", "sourcePlatformPostId", "mode", "variations", "overrides")
OVERRIDE_FIELDS = ("caption", "cta", "voiceOverScript")


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
    overrides = reader.nested("overrides", OVERRIDE_FIELDS)
    if overrides is not None:
        parsed["overrides"] = {name: overrides.string(name, max_len=4000) for name in OVERRIDE_FIELDS}
    reader.done()
    return parsed


def clone_from_post(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """POST /v1/content/:containerId/clone-from-post: the client-minted id is the idempotency key."""
    cid = client_uuid("container", req.params["containerId"], "containerId")
    body = _read_clone_body(req, project_required=True)
    return _clone(req, state, cid, body)


def clone_from_post_in_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    """The path recommendations point at (§13 CONFLICT-IN-DOCS): the server mints the container id."""
    project_ref = req.params["projectId"]
    body = _read_clone_body(req, project_required=False)
    if body["projectId"] and ids.decode("project", body["projectId"]) != ids.decode("project", project_ref):
        raise validation([("projectId", "Does not match the project in the path.")])
    body["projectId"] = project_ref
    return _clone(req, state, ids.new_uuid(), body)


def _clone(req: ApiRequest, state: SandboxState, cid: str, body: dict[str, Any]) -> ApiResponse:
    source_ref = body["sourcePlatformPostId"]
    req.note(container_id=ids.encode("container", cid), source_post_id=source_ref)
    request_fingerprint = fingerprint(
        {
            **body,
            "projectId": ids.decode("project", body["projectId"]),
            "sourcePlatformPostId": ids.decode("post", source_ref),
        }
    )
    prior = replay(state.clone_answers, cid, request_fingerprint, req)
    if prior is not None:
        return prior
    project = state.project(body["projectId"])
    req.note(project_id=ids.encode("project", project.id))
    post = state.find_post(project.id, source_ref)
    if post is None:
        raise not_found("Source post not found in this project.")
    req.note(source_post_id=ids.encode("post", post.id))
    overrides = body["overrides"] or {}
    job = lifecycle.start_job(
        state,
        kind="content_clone_from_post",
        project=project,
        container_id=cid,
        variations=body["variations"],
        behaviour=post.clone_job,
        origin="clone",
        format_name="video-remix",
        hook=post.title if body["mode"] == "fork" else f"Reimagined: {post.title}",
        caption=overrides.get("caption") or post.title,
        source_post=post,
    )
    response = accepted(req, job)
    remember(state.clone_answers, cid, request_fingerprint, response)
    return response
