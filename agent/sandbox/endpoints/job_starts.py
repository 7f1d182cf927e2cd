"""What both job-starting POSTs share: the container id names the operation, and the 202 answer.

Resource-level idempotency: the same container id (clone) or generation `id` with the same
normalised request replays the first 202 verbatim; with a different request it is a 409
`CONTAINER_ID_REUSED`. This is separate from, and works without, the Idempotency-Key header.
"""

from __future__ import annotations

from agent.sandbox import ids
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import conflict
from agent.sandbox.jobs import Job
from agent.sandbox.records import StoredAnswer
from agent.sandbox.witness import Outcome


def replay(
    answers: dict[str, StoredAnswer], cid: str, fingerprint: str, req: ApiRequest
) -> ApiResponse | None:
    """The first answer for this container id, or None when the id is new."""
    prior = answers.get(cid)
    if prior is None:
        return None
    if prior.fingerprint != fingerprint:
        raise conflict(
            "This container id was already used for a different request.",
            subcode="CONTAINER_ID_REUSED",
            containerId=ids.encode("container", cid),
        )
    req.outcome = Outcome.REPLAYED
    req.note(job_id=prior.body["jobId"], container_ids=tuple(prior.body["containerIds"]))
    return ApiResponse(prior.status, prior.body)


def accepted(req: ApiRequest, job: Job) -> ApiResponse:
    """The 202 for a job just started, with its ids noted for the witness log."""
    body = job.accepted()
    req.outcome = Outcome.APPLIED
    req.note(
        container_id=body["containerId"], container_ids=tuple(body["containerIds"]), job_id=body["jobId"]
    )
    return ApiResponse(202, body)


def remember(answers: dict[str, StoredAnswer], cid: str, fingerprint: str, response: ApiResponse) -> None:
    answers[cid] = StoredAnswer(fingerprint, response.status, response.body)
