"""POST /v1/projects/:projectId/content: brief generation (contract §12.1)."""

from __future__ import annotations

from agent.sandbox import ids, lifecycle
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.endpoints.containers import FORMAT_ALIASES
from agent.sandbox.endpoints.job_starts import accepted, remember, replay
from agent.sandbox.idempotency import fingerprint
from agent.sandbox.params import BodyReader, client_uuid
from agent.sandbox.state import SandboxState

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
BRIEF_TEXTS = ("topic", "angle", "cta", "hook", "influencerId", "language")
BRIEF_LISTS = ("valuePropositions", "targetPlatforms", "themeTags", "referenceMediaIds")


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
        for name in BRIEF_TEXTS:
            brief.string(name, max_len=2000)
        for name in BRIEF_LISTS:
            brief.string_list(name)
        hook = brief.data.get("hook") or brief.data.get("topic")
        cta = brief.data.get("cta")
    reader.done()
    cid = client_uuid("container", raw_id, "id") if raw_id else None
    req.note(project_id=ids.encode("project", project.id), container_id=ids.encode("container", cid))
    request_fingerprint = fingerprint({"projectId": project.id, "body": data})
    if cid is not None:
        prior = replay(state.generation_answers, cid, request_fingerprint, req)
        if prior is not None:
            return prior
    job = lifecycle.start_job(
        state,
        kind="content_generate",
        project=project,
        container_id=cid,
        variations=variants,
        behaviour=project.generation_job,
        origin="generate",
        format_name=FORMAT_ALIASES[format_name],
        hook=hook,
        caption=cta,
        brief=data.get("brief"),
    )
    response = accepted(req, job)
    if cid is not None:
        remember(state.generation_answers, cid, request_fingerprint, response)
    return response
