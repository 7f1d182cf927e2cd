"""GET /v1/projects/:projectId/recommendations (contract §20); any well-formed `kind` is accepted."""

from __future__ import annotations

from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import validation
from agent.sandbox.pagination import QueryCursor, paginate
from agent.sandbox.params import q_enum, q_enum_list, q_float, q_list
from agent.sandbox.records import RecommendationRec
from agent.sandbox.state import SandboxState

RECOMMENDATION_SORTS = ("confidence_desc", "created_desc")
STATUSES = ("open", "acknowledged", "dismissed", "acted_on")


def _json(rec: RecommendationRec) -> dict[str, Any]:
    return {
        "recommendationId": ids.encode("recommendation", rec.id),
        "kind": rec.kind,
        "status": rec.status,
        "confidence": rec.confidence,
        "createdAt": iso(rec.created_at),
        "subject": rec.subject,
        "rationale": rec.rationale,
        "evidence": rec.evidence,
        "suggestedAction": rec.suggested_action,
    }


def recommendations(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    kinds = q_list(req, "kind")
    for kind in kinds:
        if not kind.replace("_", "").isalnum():
            raise validation([("kind", f"Malformed kind {kind!r}.")])
    statuses = q_enum_list(req, "status", STATUSES)
    min_confidence = q_float(req, "minConfidence", 0.0, 0.0, 1.0)
    sort = q_enum(req, "sort", RECOMMENDATION_SORTS, "confidence_desc")
    rows = [
        r
        for r in state.recommendations.values()
        if r.project_id == project.id
        and (not kinds or r.kind in kinds)
        and (not statuses or r.status in statuses)
        and r.confidence >= min_confidence
    ]
    if sort == "created_desc":
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    else:
        rows.sort(key=lambda r: (-r.confidence, r.id))
    page = paginate(rows, req, QueryCursor(req), default_limit=25, max_limit=100)
    return ApiResponse(200, page.body(_json))
