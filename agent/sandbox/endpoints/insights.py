"""Read-side analytics: metrics (§16), top-performers (§17), ads-content (§18), ads-metrics (§19),
recommendations (§20)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.sandbox import ids
from agent.sandbox.clock import iso, iso_seconds
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import not_found, validation
from agent.sandbox.metrics import (
    DEFAULT_ORGANIC,
    MAX_BUCKETS,
    ORGANIC_METRICS,
    PAID_METRICS,
    PaidTotals,
    ad_days,
    bucket_label,
    bucket_starts,
    organic_series,
)
from agent.sandbox.params import (
    BodyReader,
    paginate,
    parse_instant,
    q_bool,
    q_enum,
    q_enum_list,
    q_float,
    q_int,
    q_list,
    q_str,
    query_bind,
)
from agent.sandbox.scenario import PaidMetrics
from agent.sandbox.state import AdRec, AdsContentRec, PostRec, SandboxState, default_watch_time
from agent.sandbox.witness import Outcome

SCORE_THRESHOLD = 4.0
WINDOWS = {"7d": 7, "30d": 30, "90d": 90}
TOP_METRICS = ("views", "engagement_rate", "conversions", "roas", "watch_time_ms")
SOURCE_TYPES = ("content_container", "platform_post", "manual")
TOP_PLATFORMS = ("instagram", "tiktok", "youtube", "meta_ads", "tiktok_ads", "apple_ads")
AD_PLATFORMS = ("meta_ads", "tiktok_ads", "apple_ads")
METRIC_SCOPES = ("platform_post", "social_account", "project", "project_layer", "organization")
PAID_ON_ORGANIC = (
    "conversions",
    "spend",
    "roas",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "clicks",
    "frequency",
    "revenue",
)
AD_SCOPES = ("ad", "adset", "campaign", "ad_account", "project")
GROUP_KEYS: dict[str, tuple[str, Callable[[AdRec], str]]] = {
    "ad": ("adId", lambda ad: ad.ad_id),
    "adset": ("adsetId", lambda ad: ad.adset_id),
    "campaign": ("campaignId", lambda ad: ad.campaign_id),
    "platform": ("platform", lambda ad: ad.platform),
}
DEFAULT_WINDOW = timedelta(days=30)


def _window(req: ApiRequest, *, allow_date: bool) -> tuple[datetime, datetime]:
    since_raw, until_raw = q_str(req, "since"), q_str(req, "until")
    until = parse_instant(until_raw, "until", allow_date=allow_date) if until_raw else req.now
    since = parse_instant(since_raw, "since", allow_date=allow_date) if since_raw else until - DEFAULT_WINDOW
    if since >= until:
        raise validation([("since", "since must be before until.")])
    return since, until


def _check_buckets(since: datetime, until: datetime, granularity: str) -> None:
    if len(bucket_starts(since, until, granularity)) > MAX_BUCKETS:
        raise validation([("granularity", f"Too many buckets (max {MAX_BUCKETS}); narrow the window.")])


# ---- /metrics ------------------------------------------------------------------------------------


def metrics(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    scope = q_enum(req, "scope", METRIC_SCOPES)
    scoped_id = q_str(req, "id")
    issues = []
    if scope is None:
        issues.append(("scope", f"Required; one of: {', '.join(METRIC_SCOPES)}."))
    if not scoped_id:
        issues.append(("id", "Required."))
    requested = q_list(req, "metrics")
    for name in requested:
        if name in PAID_ON_ORGANIC:
            issues.append(("metrics", f"{name} is a paid metric; use /ads-metrics."))
        elif name not in ORGANIC_METRICS:
            issues.append(("metrics", f"Unknown metric {name!r}."))
    if issues:
        raise validation(issues)
    since, until = _window(req, allow_date=False)
    granularity = q_enum(req, "granularity", ("hour", "day", "week"), "day") or "day"
    _check_buckets(since, until, granularity)
    posts = _scoped_posts(state, project.id, scope or "", scoped_id or "")
    series, totals = organic_series(
        posts, requested or list(DEFAULT_ORGANIC), since, until, granularity, req.now
    )
    return ApiResponse(
        200,
        {
            "scope": scope,
            "id": scoped_id,
            "window": {"since": iso_seconds(since), "until": iso_seconds(until), "granularity": granularity},
            "series": series,
            "totals": totals,
        },
    )


def _scoped_posts(state: SandboxState, project_id: str, scope: str, scoped_id: str) -> list[PostRec]:
    posts = state.visible_posts(project_id)
    if scope == "project":
        if ids.bare(scoped_id, "prj") != project_id:
            raise not_found("The scoped project does not match the URL project.")
        return posts
    if scope == "platform_post":
        chosen = [p for p in posts if p.id == ids.bare(scoped_id, "pp") or p.external_id == scoped_id]
        if not chosen:
            raise not_found("Platform post not found in this project.")
        return chosen
    if scope == "organization":
        if ids.bare(scoped_id, "org") != ids.bare(state.scenario.organization.id, "org"):
            raise not_found("Organization not found.")
        return posts
    if scope == "project_layer":
        return posts
    raise not_found("Social account not found in this project.")


# ---- eligibility and paid blocks -----------------------------------------------------------------


def eligibility(score: float | None, override: str | None, safety_failed: bool = False) -> tuple[bool, str]:
    """The one gate shared by ads-content and top-performers (§17, §18)."""
    if override == "exclude":
        return False, "excluded by override"
    if override == "include":
        return True, "included by override"
    if safety_failed:
        return False, "safety check failed"
    if score is None:
        return False, "not yet scored"
    if score >= SCORE_THRESHOLD:
        return True, f"organic_score {score:.1f} meets threshold"
    return False, f"organic_score {score:.1f} below threshold {SCORE_THRESHOLD}"


def _paid_from_ads(state: SandboxState, ads_content_id: str | None, since: datetime, until: datetime) -> Any:
    if ads_content_id is None:
        return None
    totals = PaidTotals()
    seen = False
    for ad in state.ads:
        if ad.ads_content_id == ads_content_id:
            for _ in ad_days(ad, since, until):
                totals.add(ad)
                seen = True
    if not seen:
        return None
    values = totals.values()
    return {key: values[key] for key in ("spend", "conversions", "cpa", "roas")}


def _paid_block(metrics_spec: PaidMetrics | None) -> dict[str, Any] | None:
    if metrics_spec is None:
        return None
    spend, conversions = metrics_spec.spend, metrics_spec.conversions
    cpa = (
        metrics_spec.cpa
        if metrics_spec.cpa is not None
        else (round(spend / conversions, 2) if conversions else None)
    )
    return {"spend": spend, "conversions": conversions, "cpa": cpa, "roas": metrics_spec.roas}


# ---- /top-performers ----------------------------------------------------------------------------


@dataclass
class _Creative:
    source_type: str
    source_id: str | None
    platform_post_id: str | None
    ads_content_id: str | None
    title: str | None
    thumbnail_url: str | None
    organic: dict[str, Any] | None
    paid: dict[str, Any] | None
    eligible: bool

    def value(self, metric: str) -> float | None:
        organic, paid = self.organic or {}, self.paid or {}
        return {
            "views": organic.get("views"),
            "engagement_rate": organic.get("engagementRate"),
            "watch_time_ms": organic.get("watchTimeMs"),
            "conversions": paid.get("conversions"),
            "roas": paid.get("roas"),
        }[metric]


def _creatives(state: SandboxState, project_id: str, since: datetime, now: datetime) -> list[_Creative]:
    creatives = []
    linked = set()
    for post in state.visible_posts(project_id):
        if post.ads_content_id:
            linked.add(post.ads_content_id)
        if post.published_at < since:
            continue
        score, override = state.score_and_override(post)
        row = state.ads_content.get(post.ads_content_id or "")
        paid = _paid_block(post.paid) or (_paid_block(row.ad_performance) if row else None)
        creatives.append(
            _Creative(
                source_type=post.source_type,
                source_id=f"cnt_{post.source_id}" if post.source_id else None,
                platform_post_id=f"pp_{post.id}",
                ads_content_id=f"adc_{post.ads_content_id}" if post.ads_content_id else None,
                title=post.title,
                thumbnail_url=post.thumbnail_url,
                organic={
                    "views": post.views,
                    "engagementRate": post.engagement_rate,
                    "watchTimeMs": post.watch_time_ms,
                    "platforms": post.platforms,
                },
                paid=paid or _paid_from_ads(state, post.ads_content_id, since, now),
                eligible=eligibility(score, override, row.safety_failed if row else False)[0],
            )
        )
    for row in state.ads_content.values():
        if row.project_id != project_id or row.id in linked or row.created_at < since:
            continue
        organic = None
        if row.views:
            organic = {
                "views": row.views,
                "engagementRate": row.engagement_rate,
                "watchTimeMs": default_watch_time(row.views),
                "platforms": [],
            }
        creatives.append(
            _Creative(
                source_type=row.source_type,
                source_id=f"cnt_{row.source_id}" if row.source_id else None,
                platform_post_id=f"pp_{row.platform_post_id}" if row.platform_post_id else None,
                ads_content_id=f"adc_{row.id}",
                title=row.title,
                thumbnail_url=None,
                organic=organic,
                paid=_paid_block(row.ad_performance) or _paid_from_ads(state, row.id, since, now),
                eligible=eligibility(row.organic_score, row.override, row.safety_failed)[0],
            )
        )
    return creatives


def top_performers(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    metric = q_enum(req, "metric", TOP_METRICS)
    if metric is None:
        raise validation([("metric", f"Required; one of: {', '.join(TOP_METRICS)}.")])
    window = q_enum(req, "window", tuple(WINDOWS), "30d") or "30d"
    source_types = q_enum_list(req, "sourceType", SOURCE_TYPES)
    platforms = q_enum_list(req, "platform", TOP_PLATFORMS)
    limit = q_int(req, "limit", 25, 1, 100)
    include_ineligible = q_bool(req, "includeIneligible") or False
    since = req.now - timedelta(days=WINDOWS[window])
    rows = []
    for creative in _creatives(state, project.id, since, req.now):
        if not (include_ineligible or creative.eligible):
            continue
        if source_types and creative.source_type not in source_types:
            continue
        if platforms and creative.organic and not set(platforms) & set(creative.organic["platforms"]):
            continue
        value = creative.value(metric)
        if value is not None:
            rows.append((value, creative))
    rows.sort(key=lambda pair: (-pair[0], -((pair[1].organic or {}).get("views") or 0), pair[1].title or ""))
    items = [
        {
            "rank": rank,
            "sourceType": c.source_type,
            "sourceId": c.source_id,
            "platformPostId": c.platform_post_id,
            "adsContentId": c.ads_content_id,
            "title": c.title,
            "thumbnailUrl": c.thumbnail_url,
            "metricValue": value,
            "organic": c.organic,
            "paid": c.paid,
        }
        for rank, (value, c) in enumerate(rows[:limit], start=1)
    ]
    return ApiResponse(200, {"metric": metric, "window": window, "items": items})


# ---- /ads-content ---------------------------------------------------------------------------------


def ads_content_json(row: AdsContentRec, state: SandboxState, now: datetime) -> dict[str, Any]:
    """Rows carry raw UUIDs without prefixes, as docs/reference-ads-content.txt says."""
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
        "adPerformance": _paid_block(row.ad_performance)
        or _paid_from_ads(state, row.id, now - DEFAULT_WINDOW, now),
        "scoredAt": iso(row.scored_at),
        "scoringVersion": row.scoring_version,
        "eligibility": {"isEligible": eligible, "reason": reason},
        "override": row.override,
        "overrideNote": row.override_note,
        "overrideSetBy": row.override_set_by,
        "overrideSetAt": iso(row.override_set_at) if row.override_set_at else None,
        "activePromotions": [],
    }


ADS_CONTENT_SORTS: dict[str, Callable[[AdsContentRec], Any]] = {
    "score_desc": lambda r: (-r.organic_score, r.id),
    "score_asc": lambda r: (r.organic_score, r.id),
    "scored_at_desc": lambda r: (-r.scored_at.timestamp(), r.id),
}


def list_ads_content(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    pools = q_enum_list(req, "scoringPool", ("generated", "ugc", "manual"))
    min_score = q_float(req, "minScore", 0.0, 0.0, 10.0)
    override = q_enum(req, "override", ("include", "exclude", "none"))
    eligible = q_bool(req, "eligible")
    sort = q_enum(req, "sort", tuple(ADS_CONTENT_SORTS), "score_desc") or "score_desc"
    limit = q_int(req, "limit", 50, 1, 200)
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
    cursor = q_str(req, "cursor")
    start = 0
    if cursor and ids.is_uuid(cursor):
        position = next((i for i, row in enumerate(rows) if row.id == cursor.lower()), None)
        start = position + 1 if position is not None else 0
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return ApiResponse(
        200,
        {
            "items": [ads_content_json(row, state, req.now) for row in page],
            "nextCursor": page[-1].id if more and page else None,
        },
    )


def patch_ads_content(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    row = state.ads_content.get(ids.bare(req.params["adsContentId"], "adc"))
    if row is None or row.project_id != project.id:
        raise not_found("Ads content not found.")
    reader = BodyReader(req.json_body(), ("override", "note"))
    override = reader.enum("override", ("include", "exclude", None), required=True)
    note = reader.string("note", max_len=280, nullable=True)
    reader.done()
    row.override = override
    row.override_note = note
    row.override_set_by = "api_key" if override else None
    row.override_set_at = req.now if override else None
    req.outcome = Outcome.APPLIED
    req.note(project_id=f"prj_{project.id}")
    return ApiResponse(200, ads_content_json(row, state, req.now))


# ---- /ads-metrics -------------------------------------------------------------------------------


def ads_metrics(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    group_by = q_enum(req, "groupBy", tuple(GROUP_KEYS))
    scope = q_enum(req, "scope", AD_SCOPES)
    scoped_id = q_str(req, "id")
    if scope is None and group_by is not None:
        scope, scoped_id = "project", scoped_id or f"prj_{project.id}"
    issues = []
    if scope is None:
        issues.append(("scope", f"Required unless groupBy is given; one of: {', '.join(AD_SCOPES)}."))
    if not scoped_id:
        issues.append(("id", "Required."))
    if issues:
        raise validation(issues)
    extra = q_enum_list(req, "metrics", PAID_METRICS)
    platforms = q_enum_list(req, "platforms", AD_PLATFORMS)
    since, until = _window(req, allow_date=True)
    granularity = q_enum(req, "granularity", ("day", "week"), "day") or "day"
    _check_buckets(since, until, granularity)
    ads = _scoped_ads(state, project.id, scope or "", scoped_id or "", platforms)
    window = {"since": iso_seconds(since), "until": iso_seconds(until), "granularity": granularity}
    totals = PaidTotals()
    body: dict[str, Any] = {"scope": scope, "id": scoped_id}
    if group_by is not None:
        key_name, key_of = GROUP_KEYS[group_by]
        groups: dict[str, tuple[PaidTotals, AdRec]] = {}
        for ad in ads:
            for _ in ad_days(ad, since, until):
                group, _first = groups.setdefault(key_of(ad), (PaidTotals(), ad))
                group.add(ad)
                totals.add(ad)
        series = []
        for key, (group, first) in groups.items():
            row: dict[str, Any] = {key_name: key}
            if group_by == "ad" and first.ads_content_id:
                row["adsContentId"] = f"adc_{first.ads_content_id}"
            series.append({**row, **group.values(extra)})
        body |= {"groupBy": group_by, "window": window, "series": series, "totals": totals.values(extra)}
        return ApiResponse(200, body)
    buckets: dict[str, PaidTotals] = {
        bucket_label(s, granularity): PaidTotals() for s in bucket_starts(since, until, granularity)
    }
    for ad in ads:
        for day in ad_days(ad, since, until):
            monday = day - timedelta(days=day.weekday())
            label = (monday if granularity == "week" else day).isoformat()
            buckets.setdefault(label, PaidTotals()).add(ad)
            totals.add(ad)
    series = [{"bucket": label, **values.values(extra)} for label, values in buckets.items()]
    body |= {"window": window, "series": series, "totals": totals.values(extra)}
    return ApiResponse(200, body)


def _scoped_ads(
    state: SandboxState, project_id: str, scope: str, scoped_id: str, platforms: list[str]
) -> list[AdRec]:
    ads = [
        ad for ad in state.ads if ad.project_id == project_id and (not platforms or ad.platform in platforms)
    ]
    if scope == "project":
        if ids.bare(scoped_id, "prj") != project_id:
            raise not_found("The scoped project does not match the URL project.")
        return ads
    attribute = {
        "ad": "ad_id",
        "adset": "adset_id",
        "campaign": "campaign_id",
        "ad_account": "ad_account_id",
    }[scope]
    chosen = [ad for ad in ads if getattr(ad, attribute) == scoped_id]
    if not chosen:
        raise not_found(f"No {scope} {scoped_id} in this project.")
    return chosen


# ---- /recommendations ---------------------------------------------------------------------------


RECOMMENDATION_SORTS = ("confidence_desc", "created_desc")


def recommendations(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    kinds = q_list(req, "kind")
    for kind in kinds:
        if not kind.replace("_", "").isalnum():
            raise validation([("kind", f"Malformed kind {kind!r}.")])
    statuses = q_enum_list(req, "status", ("open", "acknowledged", "dismissed", "acted_on"))
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
    page = paginate(rows, req, bind=query_bind(req), default_limit=25, max_limit=100)
    page["items"] = [
        {
            "recommendationId": f"rec_{r.id}",
            "kind": r.kind,
            "status": r.status,
            "confidence": r.confidence,
            "createdAt": iso(r.created_at),
            "subject": r.subject,
            "rationale": r.rationale,
            "evidence": r.evidence,
            "suggestedAction": r.suggested_action,
        }
        for r in page["items"]
    ]
    return ApiResponse(200, page)
