"""Metrics, top-performers, ads-content, ads-metrics and recommendations."""

from __future__ import annotations

from .conftest import ACME, ACME_BREAKOUT, ACME_EXCLUDED, BRIGHT, FRESH, NORTHWIND, PIXEL

ACME_BREAKOUT_ADC = "adc_00000003-1001-4000-8000-000000000000"


def test_metrics_shape_and_totals(client):
    params = {
        "scope": "project",
        "id": ACME,
        "since": "2026-04-13T00:00:00Z",
        "until": "2026-04-20T00:00:00Z",
        "metrics": ["views", "engagement_rate", "watch_time_ms"],
    }
    body = client.get(f"/v1/projects/{ACME}/metrics", params=params).json()
    assert body["scope"] == "project"
    assert body["window"] == {
        "since": "2026-04-13T00:00:00Z",
        "until": "2026-04-20T00:00:00Z",
        "granularity": "day",
    }
    assert [row["bucket"] for row in body["series"]][:2] == ["2026-04-13", "2026-04-14"]
    assert len(body["series"]) == 7
    assert set(body["series"][0]) == {"bucket", "views", "engagement_rate", "watch_time_ms"}
    assert body["totals"]["post_count"] == 10
    assert abs(body["totals"]["views"] - sum(row["views"] for row in body["series"])) <= len(body["series"])


def test_metrics_whole_lifetime_adds_up_to_scenario_views(client):
    params = {
        "scope": "platform_post",
        "id": ACME_BREAKOUT,
        "since": "2026-01-01T00:00:00Z",
        "granularity": "week",
    }
    body = client.get(f"/v1/projects/{ACME}/metrics", params=params).json()
    assert body["totals"]["views"] == 25400
    assert body["totals"]["post_count"] == 1


def test_metrics_rejects_date_only_since_and_paid_metrics(client):
    date_only = client.get(
        f"/v1/projects/{ACME}/metrics", params={"scope": "project", "id": ACME, "since": "2026-04-10"}
    )
    assert date_only.status_code == 422
    error = date_only.json()["error"]
    assert error["code"] == "VALIDATION"
    assert error["details"]["issues"][0]["path"] == "since"
    paid = client.get(
        f"/v1/projects/{ACME}/metrics", params={"scope": "project", "id": ACME, "metrics": "spend"}
    )
    assert paid.status_code == 422
    assert client.get(f"/v1/projects/{ACME}/metrics", params={"id": ACME}).status_code == 422


def test_metrics_scope_must_belong_to_the_url_project(client):
    response = client.get(f"/v1/projects/{ACME}/metrics", params={"scope": "project", "id": FRESH})
    assert response.status_code == 404


def test_top_performers_sorted_desc_and_gated(client):
    body = client.get(
        f"/v1/projects/{ACME}/top-performers", params={"metric": "engagement_rate", "window": "7d"}
    ).json()
    items = body["items"]
    assert body["metric"] == "engagement_rate"
    assert body["window"] == "7d"
    assert len(items) == 9
    values = [item["metricValue"] for item in items]
    assert values == sorted(values, reverse=True)
    assert [item["rank"] for item in items] == list(range(1, 10))
    top = items[0]
    assert top["platformPostId"] == ACME_BREAKOUT
    assert top["adsContentId"] == ACME_BREAKOUT_ADC
    assert top["organic"] == {
        "views": 25400,
        "engagementRate": 0.09,
        "watchTimeMs": 118000000,
        "platforms": ["tiktok", "instagram"],
    }
    assert top["paid"] is None
    assert ACME_EXCLUDED not in {item["platformPostId"] for item in items}


def test_top_performers_include_ineligible_shows_excluded_posts(client):
    params = {"metric": "engagement_rate", "includeIneligible": "true"}
    items = client.get(f"/v1/projects/{ACME}/top-performers", params=params).json()["items"]
    assert items[0]["platformPostId"] == ACME_EXCLUDED


def test_top_performers_override_include_beats_low_score(client):
    low = "adc_00000007-1003-4000-8000-000000000000"
    params = {"metric": "views", "window": "30d"}
    before = {
        i["adsContentId"]
        for i in client.get(f"/v1/projects/{PIXEL}/top-performers", params=params).json()["items"]
    }
    assert low not in before
    assert (
        client.patch(f"/v1/projects/{PIXEL}/ads-content/{low}", json={"override": "include"}).status_code
        == 200
    )
    after = {
        i["adsContentId"]
        for i in client.get(f"/v1/projects/{PIXEL}/top-performers", params=params).json()["items"]
    }
    assert low in after


def test_top_performers_validation_limit_and_empty(client):
    assert client.get(f"/v1/projects/{ACME}/top-performers").status_code == 422
    assert client.get(f"/v1/projects/{ACME}/top-performers", params={"metric": "likes"}).status_code == 422
    assert (
        client.get(
            f"/v1/projects/{ACME}/top-performers", params={"metric": "views", "window": "14d"}
        ).status_code
        == 422
    )
    limited = client.get(f"/v1/projects/{ACME}/top-performers", params={"metric": "views", "limit": 2}).json()
    assert len(limited["items"]) == 2
    empty = client.get(f"/v1/projects/{FRESH}/top-performers", params={"metric": "views"})
    assert empty.status_code == 200
    assert empty.json()["items"] == []


def test_top_performers_paid_metric_ranks_rows_with_paid_data(client):
    items = client.get(
        f"/v1/projects/{NORTHWIND}/top-performers", params={"metric": "roas", "window": "7d"}
    ).json()["items"]
    assert items
    assert all(item["paid"] is not None for item in items)
    assert items[0]["paid"]["roas"] >= items[-1]["paid"]["roas"]
    assert set(items[0]["paid"]) == {"spend", "conversions", "cpa", "roas"}


def test_ads_content_rows_use_raw_uuids_and_the_documented_shape(client):
    items = client.get(f"/v1/projects/{PIXEL}/ads-content").json()["items"]
    assert len(items) == 4
    row = items[0]
    assert set(row) == {
        "adsContentId",
        "sourceType",
        "sourceId",
        "platformPostId",
        "scoringPool",
        "organicScore",
        "organicPerformance",
        "adPerformance",
        "scoredAt",
        "scoringVersion",
        "eligibility",
        "override",
        "overrideNote",
        "overrideSetBy",
        "overrideSetAt",
        "activePromotions",
    }
    assert "_" not in row["adsContentId"]
    scores = [r["organicScore"] for r in items]
    assert scores == sorted(scores, reverse=True)
    eligible = client.get(f"/v1/projects/{PIXEL}/ads-content", params={"eligible": "true"}).json()["items"]
    assert len(eligible) == 2
    excluded = client.get(f"/v1/projects/{PIXEL}/ads-content", params={"override": "exclude"}).json()["items"]
    assert [r["eligibility"] for r in excluded] == [{"isEligible": False, "reason": "excluded by override"}]


def test_ads_content_cursor_pagination_and_forged_cursor(client):
    first = client.get(f"/v1/projects/{PIXEL}/ads-content", params={"limit": 3}).json()
    assert len(first["items"]) == 3
    assert first["nextCursor"]
    second = client.get(
        f"/v1/projects/{PIXEL}/ads-content", params={"limit": 3, "cursor": first["nextCursor"]}
    ).json()
    assert len(second["items"]) == 1
    assert second["nextCursor"] is None
    forged = client.get(f"/v1/projects/{PIXEL}/ads-content", params={"limit": 3, "cursor": "forged!"}).json()
    assert forged["items"] == first["items"]


def test_patch_ads_content_override(sandbox, client):
    row = "00000007-1002-4000-8000-000000000000"
    response = client.patch(
        f"/v1/projects/{PIXEL}/ads-content/{row}", json={"override": "exclude", "note": "Legal"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["override"] == "exclude"
    assert body["overrideNote"] == "Legal"
    assert body["eligibility"]["isEligible"] is False
    assert body["overrideSetBy"] == "api_key"
    assert body["overrideSetAt"]
    cleared = client.patch(f"/v1/projects/{PIXEL}/ads-content/adc_{row}", json={"override": None}).json()
    assert cleared["override"] is None
    assert cleared["eligibility"]["isEligible"] is True
    assert sandbox.witness.count_applied("ads_content_override") == 2


def test_patch_ads_content_validation(client):
    url = f"/v1/projects/{PIXEL}/ads-content/00000007-1002-4000-8000-000000000000"
    assert client.patch(url, json={}).status_code == 422
    assert client.patch(url, json={"override": "maybe"}).status_code == 422
    assert client.patch(url, json={"override": "include", "note": "x" * 281}).status_code == 422
    missing = f"/v1/projects/{PIXEL}/ads-content/00000000-0000-4000-8000-000000000000"
    assert client.patch(missing, json={"override": None}).status_code == 404


def test_ads_metrics_group_by_ad_over_seven_days(client):
    params = {
        "since": "2026-04-13T12:00:30Z",
        "until": "2026-04-20T12:00:30Z",
        "groupBy": "ad",
        "metrics": ["spend", "conversions", "cpa"],
    }
    body = client.get(f"/v1/projects/{NORTHWIND}/ads-metrics", params=params).json()
    assert body["groupBy"] == "ad"
    assert body["scope"] == "project"
    rows = {row["adId"]: row for row in body["series"]}
    burpee = rows["nw_ad_burpee_challenge"]
    assert burpee["spend"] == 87.5
    assert burpee["conversions"] == 0
    assert burpee["cpa"] is None
    assert burpee["adsContentId"] == "adc_00000006-1001-4000-8000-000000000000"
    assert set(burpee) >= {"adId", "spend", "impressions", "clicks", "conversions", "cpa", "roas"}
    worry = [r["adId"] for r in body["series"] if r["spend"] > 50 and r["conversions"] == 0]
    assert worry == ["nw_ad_burpee_challenge"]
    assert body["totals"]["spend"] == round(sum(r["spend"] for r in body["series"]), 2)


def test_ads_metrics_accepts_date_only_and_scoped_series(client):
    params = {"scope": "ad", "id": "nw_ad_form_check", "since": "2026-04-13", "until": "2026-04-20"}
    body = client.get(f"/v1/projects/{NORTHWIND}/ads-metrics", params=params).json()
    assert len(body["series"]) == 7
    assert body["series"][0]["bucket"] == "2026-04-13"
    assert body["totals"]["spend"] == 140.0
    assert body["totals"]["conversions"] == 28


def test_ads_metrics_group_by_campaign_and_validation(client):
    body = client.get(f"/v1/projects/{NORTHWIND}/ads-metrics", params={"groupBy": "campaign"}).json()
    assert [row["campaignId"] for row in body["series"]] == ["cmp_nw_spring"]
    assert client.get(f"/v1/projects/{NORTHWIND}/ads-metrics").status_code == 422
    assert (
        client.get(f"/v1/projects/{NORTHWIND}/ads-metrics", params={"groupBy": "creative"}).status_code == 422
    )
    unknown_ad = client.get(f"/v1/projects/{NORTHWIND}/ads-metrics", params={"scope": "ad", "id": "nope"})
    assert unknown_ad.status_code == 404


def test_recommendations_shape_sort_and_filters(client):
    items = client.get(f"/v1/projects/{BRIGHT}/recommendations").json()["items"]
    confidences = [item["confidence"] for item in items]
    assert confidences == sorted(confidences, reverse=True)
    assert {item["kind"] for item in items} == {"refresh_fatigued", "value_propositions", "promote_winner"}
    value_props = next(
        i for i in items if i["recommendationId"] == "rec_00000008-0003-4000-8000-000000000000"
    )
    assert value_props["suggestedAction"] == {
        "endpoint": f"/v1/projects/{BRIGHT}",
        "method": "PATCH",
        "body": {"brand": {"valuePropositionsEmphasis": ["Same-day appointments"]}},
    }
    assert set(value_props) == {
        "recommendationId",
        "kind",
        "status",
        "confidence",
        "createdAt",
        "subject",
        "rationale",
        "evidence",
        "suggestedAction",
    }
    hostile = [i for i in items if i["suggestedAction"]["endpoint"].startswith("https://evil.example/")]
    assert len(hostile) == 1
    fatigued = client.get(
        f"/v1/projects/{BRIGHT}/recommendations", params={"kind": "refresh_fatigued", "minConfidence": 0.7}
    ).json()["items"]
    assert [i["confidence"] for i in fatigued] == [0.88, 0.82]
    dismissed = client.get(f"/v1/projects/{BRIGHT}/recommendations", params={"status": "dismissed"}).json()[
        "items"
    ]
    assert len(dismissed) == 1


def test_recommendations_cursor_pagination(client):
    pages, cursor = [], None
    while True:
        params = {"limit": 3, "sort": "created_desc"} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/v1/projects/{BRIGHT}/recommendations", params=params).json()
        pages.append(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    flat = [item["recommendationId"] for page in pages for item in page]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert len(set(flat)) == 7
    created = [item["createdAt"] for page in pages for item in page]
    assert created == sorted(created, reverse=True)
    first = client.get(
        f"/v1/projects/{BRIGHT}/recommendations", params={"limit": 3, "sort": "created_desc"}
    ).json()
    other_sort = {"limit": 3, "sort": "confidence_desc", "cursor": first["nextCursor"]}
    assert client.get(f"/v1/projects/{BRIGHT}/recommendations", params=other_sort).status_code == 422
    assert (
        client.get(f"/v1/projects/{BRIGHT}/recommendations", params={"minConfidence": 2}).status_code == 422
    )
