"""Approve and reject a completed container that awaits review (contract §9)."""

from __future__ import annotations

from typing import Any

from agent.sandbox import ids, lifecycle, publishing
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import conflict
from agent.sandbox.params import BodyReader
from agent.sandbox.records import ContainerRec
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome


def _reviewable(req: ApiRequest, state: SandboxState, container: ContainerRec) -> None:
    container_id = ids.encode("container", container.id)
    req.note(container_id=container_id, project_id=ids.encode("project", container.project_id))
    status = lifecycle.container_status(state, container)
    if status != "completed":
        raise conflict("Only completed content can be reviewed.", containerId=container_id, status=status)
    if container.approval_status == "not_required":
        raise conflict(
            "Container does not require approval.", containerId=container_id, approvalStatus="not_required"
        )


def _reviewer(req: ApiRequest) -> str:
    return f"api_key_{req.api_key_id}"


def approve(req: ApiRequest, state: SandboxState) -> ApiResponse:
    container = state.container(req.params["containerId"])
    reader = BodyReader(req.json_body(), ("note",))
    reader.string("note", max_len=1024)
    reader.done()
    _reviewable(req, state, container)
    if container.approval_status == "rejected":
        raise conflict("Container was already rejected.", approvalStatus="rejected")
    if container.approval_status == "pending":
        container.approval_status = "approved"
        container.approved_at = req.now
        container.approved_by = _reviewer(req)
        req.outcome = Outcome.APPLIED
    else:
        req.outcome = Outcome.REPLAYED
    body: dict[str, Any] = {
        "id": ids.encode("container", container.id),
        "approvalStatus": container.approval_status,
        "approvedAt": iso(container.approved_at) if container.approved_at else None,
        "approvedBy": container.approved_by,
    }
    if req.outcome is Outcome.APPLIED:
        state.emit("content.approved", _event(body, container))
        promotion = publishing.promote(state, container, req.now)  # issue 15: a stashed schedule (§9.5)
        if promotion is not None:
            body["pendingSchedulePromotion"] = promotion
    return ApiResponse(200, body)


def reject(req: ApiRequest, state: SandboxState) -> ApiResponse:
    container = state.container(req.params["containerId"])
    reader = BodyReader(req.json_body(), ("reason",))
    reason = reader.string("reason", required=True, min_len=1, max_len=1024)
    reader.done()
    _reviewable(req, state, container)
    if container.approval_status != "pending":
        raise conflict("Container was already reviewed.", approvalStatus=container.approval_status)
    container.approval_status = "rejected"
    state.stashes.pop(container.id, None)  # issue 15: a stashed schedule of rejected content is dropped
    req.outcome = Outcome.APPLIED
    body = {
        "id": ids.encode("container", container.id),
        "approvalStatus": "rejected",
        "rejectedAt": iso(req.now),
        "rejectedBy": _reviewer(req),
        "reason": reason,
    }
    state.emit("content.rejected", _event(body, container))
    return ApiResponse(200, body)


def _event(body: dict[str, Any], container: ContainerRec) -> dict[str, Any]:
    """The `content.approved|rejected` data (§23.1): the answer's fields and the project."""
    fields = {key: value for key, value in body.items() if key != "approvalStatus"}
    return {**fields, "projectId": ids.encode("project", container.project_id)}
