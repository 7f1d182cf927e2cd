"""GET /v1/projects/:projectId/ads-metrics: paid numbers per bucket, or per group (contract §19)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso_seconds
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.endpoints.windows import check_buckets, window
from agent.sandbox.errors import not_found, validation
from agent.sandbox.late_conversions import as_reported
from agent.sandbox.params import q_enum, q_enum_list, q_str
from agent.sandbox.records import AdRec
from agent.sandbox.series import PAID_METRICS, PaidTotals, ad_days, bucket_label, bucket_starts
from agent.sandbox.state import SandboxState

AD_PLATFORMS = ("meta_ads", "tiktok_ads", "apple_ads")
AD_SCOPES = ("ad", "adset", "campaign", "ad_account", "project")
SCOPE_ATTRIBUTES = {
    "ad": "ad_id",
    "adset": "adset_id",
    "campaign": "campaign_id",
    "ad_account": "ad_account_id",
}
GROUP_KEYS: dict[str, tuple[str, Callable[[AdRec], str]]] = {
    "ad": ("adId", lambda ad: ad.ad_id),
    "adset": ("adsetId", lambda ad: ad.adset_id),
    "campaign": ("campaignId", lambda ad: ad.campaign_id),
    "platform": ("platform", lambda ad: ad.platform),
}


def ads_metrics(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    group_by = q_enum(req, "groupBy", tuple(GROUP_KEYS))
    scope = q_enum(req, "scope", AD_SCOPES)
    scoped_id = q_str(req, "id")
    if scope is None and group_by is not None:
        scope, scoped_id = "project", scoped_id or ids.encode("project", project.id)
    issues = []
    if scope is None:
        issues.append(("scope", f"Required unless groupBy is given; one of: {', '.join(AD_SCOPES)}."))
    if not scoped_id:
        issues.append(("id", "Required."))
    if issues:
        raise validation(issues)
    extra = q_enum_list(req, "metrics", PAID_METRICS)
    platforms = q_enum_list(req, "platforms", AD_PLATFORMS)
    since, until = window(req, allow_date=True)
    granularity = q_enum(req, "granularity", ("day", "week"), "day") or "day"
    check_buckets(since, until, granularity)
    ads = _scoped_ads(state, project.id, scope or "", scoped_id or "", platforms)
    body: dict[str, Any] = {"scope": scope, "id": scoped_id}
    if group_by is not None:
        body["groupBy"] = group_by
        series, totals = _grouped(ads, group_by, since, until, extra, req.now)
    else:
        series, totals = _bucketed(ads, granularity, since, until, extra, req.now)
    window_json = {"since": iso_seconds(since), "until": iso_seconds(until), "granularity": granularity}
    body |= {"window": window_json, "series": series, "totals": totals}
    return ApiResponse(200, body)


def _grouped(
    ads: list[AdRec], group_by: str, since: datetime, until: datetime, extra: list[str], now: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per group that has data in the window (with `adsContentId` per ad when known)."""
    key_name, key_of = GROUP_KEYS[group_by]
    totals = PaidTotals()
    groups: dict[str, tuple[PaidTotals, AdRec]] = {}
    for ad in ads:
        for day in ad_days(ad, since, until):
            group, _first = groups.setdefault(key_of(ad), (PaidTotals(), ad))
            reported = as_reported(ad, day, now)  # issue 15: late conversions
            group.add(reported)
            totals.add(reported)
    series = []
    for key, (group, first) in groups.items():
        row: dict[str, Any] = {key_name: key}
        if group_by == "ad" and first.ads_content_id:
            row["adsContentId"] = ids.encode("ads_content", first.ads_content_id)
        series.append({**row, **group.values(extra)})
    return series, totals.values(extra)


def _bucketed(
    ads: list[AdRec], granularity: str, since: datetime, until: datetime, extra: list[str], now: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One row per day or week (Monday, UTC) of the window, empty buckets included."""
    totals = PaidTotals()
    buckets: dict[str, PaidTotals] = {
        bucket_label(s, granularity): PaidTotals() for s in bucket_starts(since, until, granularity)
    }
    for ad in ads:
        for day in ad_days(ad, since, until):
            monday = day - timedelta(days=day.weekday())
            label = (monday if granularity == "week" else day).isoformat()
            reported = as_reported(ad, day, now)  # issue 15: late conversions
            buckets.setdefault(label, PaidTotals()).add(reported)
            totals.add(reported)
    series = [{"bucket": label, **values.values(extra)} for label, values in buckets.items()]
    return series, totals.values(extra)


def _scoped_ads(
    state: SandboxState, project_id: str, scope: str, scoped_id: str, platforms: list[str]
) -> list[AdRec]:
    ads = [
        ad for ad in state.ads if ad.project_id == project_id and (not platforms or ad.platform in platforms)
    ]
    if scope == "project":
        if ids.decode("project", scoped_id) != project_id:
            raise not_found("The scoped project does not match the URL project.")
        return ads
    chosen = [ad for ad in ads if getattr(ad, SCOPE_ATTRIBUTES[scope]) == scoped_id]
    if not chosen:
        raise not_found(f"No {scope} {scoped_id} in this project.")
    return chosen
