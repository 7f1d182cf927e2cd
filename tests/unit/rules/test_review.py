import json
from datetime import UTC, datetime, timedelta

import pytest

from agent.domain.evidence import PerformerRow, WeeklyReview
from agent.domain.vocabulary import Action, Reason, SubjectType
from agent.rules.ads import AdSpend
from agent.rules.review import (
    CREATIVE_AD,
    CREATIVE_ADS_CONTENT,
    CREATIVE_TOTAL,
    ReviewInputs,
    decide_review,
    settled_window,
    weekly_review,
)

NOW = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=7), NOW)


def ad(ad_id, content, spend, conversions, roas=None, impressions=None):
    return AdSpend(ad_id, content, spend, impressions, conversions, None, roas)


ADS = [
    ad("ad_1", "adc_a", 100.0, 4, roas=2.0, impressions=1000),
    ad("ad_2", "adc_a", 300.0, 6, roas=4.0, impressions=3000),
    ad("ad_3", "adc_b", 80.0, 0, roas=0.0),
    ad("ad_4", None, 20.0, 10, roas=5.0, impressions=500),
]


def by_id(summary):
    return {creative.creative_id: creative for creative in summary.creatives}


def test_ads_are_grouped_by_creative_falling_back_to_the_ad():
    creatives = by_id(weekly_review(ADS, [], WINDOW))
    assert set(creatives) == {"adc_a", "adc_b", "ad_4"}
    assert creatives["adc_a"].creative_type == CREATIVE_ADS_CONTENT
    assert creatives["adc_a"].ad_ids == ("ad_1", "ad_2")
    assert creatives["ad_4"].creative_type == CREATIVE_AD


@pytest.mark.parametrize(
    ("creative_id", "spend", "conversions", "cpa", "roas", "impressions"),
    [
        pytest.param("adc_a", 400.0, 10, 40.0, 3.5, 4000, id="two-ads-roas-spend-weighted"),
        pytest.param("adc_b", 80.0, 0, None, 0.0, None, id="no-conversions-no-cpa"),
        pytest.param("ad_4", 20.0, 10, 2.0, 5.0, 500, id="ad-without-creative"),
    ],
)
def test_per_creative_numbers(creative_id, spend, conversions, cpa, roas, impressions):
    creative = by_id(weekly_review(ADS, [], WINDOW))[creative_id]
    assert creative.spend == pytest.approx(spend)
    assert creative.conversions == conversions
    assert creative.cpa == (pytest.approx(cpa) if cpa is not None else None)
    assert creative.roas == pytest.approx(roas)
    assert creative.impressions == impressions


def test_totals():
    totals = weekly_review(ADS, [], WINDOW).totals
    assert (totals.creative_type, totals.creative_id) == (CREATIVE_TOTAL, CREATIVE_TOTAL)
    assert totals.spend == pytest.approx(500.0)
    assert totals.conversions == 20
    assert totals.cpa == pytest.approx(25.0)
    # revenue 200 + 1200 + 0 + 100 over spend 500
    assert totals.roas == pytest.approx(3.0)
    assert totals.impressions == 4500


def test_drivers_are_converting_creatives_most_conversions_first():
    ads = [*ADS, ad("ad_5", "adc_c", 10.0, 10)]
    drivers = weekly_review(ads, [], WINDOW).drivers
    assert [d.creative_id for d in drivers] == ["ad_4", "adc_a", "adc_c"]


def test_top_converting_posts():
    performers = [
        PerformerRow("pp_1", "One", 3.0),
        PerformerRow("pp_2", "Two", 9.0),
        PerformerRow("pp_3", None, None),
        PerformerRow("pp_4", "Four", 0.0),
        PerformerRow("pp_5", "Five", 5.0),
        PerformerRow("pp_6", "Six", 1.0),
    ]
    top = weekly_review([], performers, WINDOW).top_performers
    assert [row.platform_post_id for row in top] == ["pp_2", "pp_5", "pp_1"]
    assert len(weekly_review([], performers, WINDOW, top_n=10).top_performers) == 4


def test_an_empty_week():
    summary = weekly_review([], [], WINDOW)
    assert summary.creatives == ()
    assert summary.drivers == ()
    assert (summary.totals.spend, summary.totals.cpa, summary.totals.roas) == (0.0, None, None)


def test_evidence_is_json():
    evidence = weekly_review(ADS, [PerformerRow("pp_1", "One", 3.0)], WINDOW).to_json()
    assert json.loads(json.dumps(evidence)) == evidence
    assert WeeklyReview.from_json(evidence) == weekly_review(ADS, [PerformerRow("pp_1", "One", 3.0)], WINDOW)
    assert evidence["window_since"] == "2026-04-13T09:00:00+00:00"
    assert evidence["window_until"] == "2026-04-20T09:00:00+00:00"
    assert [d["creative_id"] for d in evidence["drivers"]] == ["ad_4", "adc_a"]
    assert evidence["top_performers"] == [{"platform_post_id": "pp_1", "title": "One", "metric_value": 3.0}]


def test_a_reversed_window_is_rejected():
    with pytest.raises(ValueError, match="before it starts"):
        weekly_review(ADS, [], (NOW, NOW - timedelta(days=7)))


def test_the_review_is_one_summary_about_the_customer():
    decided = decide_review(ReviewInputs("prj_1", tuple(ADS), (), WINDOW))
    assert (decided.action, decided.reason) == (Action.SUMMARY, Reason.WEEKLY_REVIEW)
    assert (decided.subject.type, decided.subject.id, decided.key) == (
        SubjectType.CUSTOMER,
        "prj_1",
        "summary",
    )
    assert decided.effect is None


# Settled windows (issue 15): conversions arrive late, so the review judges a window that ended a while ago.
@pytest.mark.parametrize(
    ("settle_hours", "until"),
    [
        pytest.param(72, NOW - timedelta(hours=72), id="72h"),
        pytest.param(0, NOW, id="no-settle-delay"),
    ],
)
def test_the_review_judges_a_settled_window_and_records_it(settle_hours, until):
    window = settled_window(NOW, days=7, settle_hours=settle_hours)
    assert window == (until - timedelta(days=7), until)
    decided = decide_review(ReviewInputs("prj_1", tuple(ADS), (), window, settle_hours=settle_hours))
    assert isinstance(decided.evidence, WeeklyReview)
    assert (decided.evidence.window_until, decided.evidence.settle_delay_hours) == (
        until.isoformat(),
        settle_hours,
    )
