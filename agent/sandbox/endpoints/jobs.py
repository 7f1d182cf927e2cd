"""GET /v1/jobs/:jobId with ETag/304, and the cooperative POST /v1/jobs/:jobId/cancel (§7.3, §7.4)."""

from __future__ import annotations

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import ApiError
from agent.sandbox.jobs import etag, etag_matches
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome


def get_job(req: ApiRequest, state: SandboxState) -> ApiResponse:
    job = state.job(req.params["jobId"])
    body = job.view(state.job_clock.now(), state.job_clock.to_real)
    tag = etag(body)
    if etag_matches(req.header("if-none-match"), tag):
        return ApiResponse(304, None, {"ETag": tag})
    return ApiResponse(200, body, {"ETag": tag})


def cancel_job(req: ApiRequest, state: SandboxState) -> ApiResponse:
    job = state.job(req.params["jobId"])
    at = state.job_clock.now()
    job_id = ids.encode("job", job.id)
    req.note(
        job_id=job_id,
        project_id=ids.encode("project", job.project_id),
        container_id=ids.encode("container", job.container_ids[0]),
    )
    verdict = job.request_cancel(at)
    if verdict == "terminal":
        reason = f"ALREADY_{job.final_status.upper()}"
        return ApiResponse(200, {"jobId": job_id, "accepted": False, "reason": reason})
    if verdict == "refused":
        raise ApiError(
            409,
            "CONFLICT",
            "Job cannot be canceled during this stage.",
            {"subcode": "JOB_CANCEL_UNAVAILABLE", "jobId": job_id, "stage": job.stage(at)},
        )
    req.outcome = Outcome.APPLIED if verdict == "accepted" else Outcome.REPLAYED
    return ApiResponse(202, {"jobId": job_id, "accepted": True})
