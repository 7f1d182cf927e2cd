"""Ads-content (contract §18): a project's scored creatives, and the override PATCH.

Rows carry raw UUIDs without prefixes (`adsContentId`, `sourceId`, `platformPostId`), as
docs/reference-ads-content.txt says, and so does the cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.creatives import eligibility, paid_block, paid_from_ads
from agent.sandbox.endpoints.windows import DEFAULT_WINDOW
from agent.sandbox.errors import not_found
from agent.sandbox.pagination import RowIdCursor, paginate
from agent.sandbox.params import BodyReader, q_bool, q_enum, q_enum_list, q_float
from agent.sandbox.records import AdsContentRec
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome

ADS_CONTENT_SORTS: dict[str, Callable[[AdsContentRec], Any]] = {
    "score_desc": lambda r: (-r.organic_score, r.id),
    "score_asc": lambda r: (r.organic_score, r.id),
    "scored_at_desc": lambda r: (-r.scored_at.timestamp(), r.id),
}
ROW_CURSOR: RowIdCursor[AdsContentRec] = RowIdCursor(lambda row: row.id)


def ads_content_json(row: AdsContentRec, state: SandboxState, now: datetime) -> dict[str, Any]:
    if row.scoring_pool == "ugc":
        performance: dict[str, Any] = {
            "percentiles": {
                "quality": round(row.organic_score / 10, 2),
                "reach": round(min(1.0, row.views / 50_000), 2),
            }
        }
    else:
        roas = row.ad_performance.roas if row.ad_performance and row.ad_performance.roas else 0.0
        performance = {
            "best": {
                "isDefault": row.is_default_score,
                "views": row.views,
                "engagement_rate": row.engagement_rate,
            },
            "adBoost": round(min(3.0, roas * 0.5), 1),
        }
    eligible, reason = eligibility(row.organic_score, row.override, row.safety_failed)
    return {
        "adsContentId": row.id,
        "sourceType": row.source_type,
        "sourceId": row.source_id,
        "platformPostId": row.platform_post_id,
        "scoringPool": row.scoring_pool,
        "organicScore": row.organic_score,
        "organicPerformance": performance,
        "adPerformance": paid_block(row.ad_performance)
        or paid_from_ads(state, row.id, now - DEFAULT_WINDOW, now),
        "scoredAt": iso(row.scored_at),
        "scoringVersion": row.scoring_version,
        "eligibility": {"isEligible": eligible, "reason": reason},
        "override": row.override,
        "overrideNote": row.override_note,
        "overrideSetBy": row.override_set_by,
        "overrideSetAt": iso(row.override_set_at) if row.override_set_at else None,
        "activePromotions": [],
    }


def list_ads_content(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    pools = q_enum_list(req, "scoringPool", ("generated", "ugc", "manual"))
    min_score = q_float(req, "minScore", 0.0, 0.0, 10.0)
    override = q_enum(req, "override", ("include", "exclude", "none"))
    eligible = q_bool(req, "eligible")
    sort = q_enum(req, "sort", tuple(ADS_CONTENT_SORTS), "score_desc") or "score_desc"
    rows = [
        row
        for row in state.ads_content.values()
        if row.project_id == project.id
        and (not pools or row.scoring_pool in pools)
        and row.organic_score >= min_score
        and (override is None or row.override == (None if override == "none" else override))
        and (
            eligible is None or eligibility(row.organic_score, row.override, row.safety_failed)[0] == eligible
        )
    ]
    rows.sort(key=ADS_CONTENT_SORTS[sort])
    page = paginate(rows, req, ROW_CURSOR, default_limit=50, max_limit=200)
    return ApiResponse(200, page.body(lambda row: ads_content_json(row, state, req.now)))


def patch_ads_content(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    row = state.ads_content.get(ids.decode("ads_content", req.params["adsContentId"]))
    if row is None or row.project_id != project.id:
        raise not_found("Ads content not found.")
    reader = BodyReader(req.json_body(), ("override", "note"))
    override = reader.enum("override", ("include", "exclude", None), required=True)
    note = reader.string("note", max_len=280, nullable=True)
    reader.done()
    row.set_override(override, note, req.now)
    req.outcome = Outcome.APPLIED
    req.note(project_id=ids.encode("project", project.id))
    return ApiResponse(200, ads_content_json(row, state, req.now))
