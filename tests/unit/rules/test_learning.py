"""What is learned shapes the next day (issue 15): a source whose last K clones all lost is not cloned again,
with those verdicts as evidence; a customer whose hit rate falls below the bar gets a threshold review."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.evidence import PostVerdict
from agent.domain.learn_evidence import OutcomeSeen, ThresholdReview
from agent.domain.vocabulary import Action, Reason
from agent.rules.backtest import RecordedDay
from agent.rules.learning import Learned, hit_rate, underperforming
from agent.rules.publish import PostPerformance, evaluate_publish
from agent.rules.threshold_review import threshold_review
from agent.rules.thresholds import Thresholds
from tests.unit.rules.test_backtest import day

WON, LOST, MAYBE = Reason.WON, Reason.LOST, Reason.INCONCLUSIVE


def seen(*verdicts, source="pp_hit"):
    """Verdicts newest first (clone ids descending)."""
    return tuple(
        OutcomeSeen(100 - i, f"cnt_{100 - i}", source, verdict, "2026-11-01")
        for i, verdict in enumerate(verdicts)
    )


@pytest.mark.parametrize(
    ("verdicts", "after", "blocked"),
    [
        pytest.param((LOST, LOST), 2, True, id="two-lost"),
        pytest.param((LOST,), 2, False, id="one-verdict-is-not-enough"),
        pytest.param((LOST, WON, LOST), 2, False, id="a-win-breaks-the-streak"),
        pytest.param((LOST, MAYBE, LOST), 2, True, id="inconclusive-is-passed-over"),
        pytest.param((WON, LOST, LOST), 2, False, id="the-newest-won"),
        pytest.param((LOST, LOST), 3, False, id="k-3"),
        pytest.param((LOST, LOST, LOST), 1, True, id="k-1"),
    ],
)
def test_underperforming(verdicts, after, blocked):
    found = underperforming(seen(*verdicts), after)
    assert (found is not None) is blocked
    if found is not None:
        assert [o.verdict for o in found] == [LOST] * after


def breakout_day():
    return [
        *(PostPerformance(f"f{i}", None, 100, 0.02, 0.02, None) for i in range(5)),
        PostPerformance("pp_hit", "Hit", 900, 0.09, 0.09, 1),
    ]


def test_a_source_whose_clones_lost_twice_is_skipped_with_the_verdicts_as_evidence():
    plan = evaluate_publish(breakout_day(), {"pp_hit": 2}, Thresholds(), {"pp_hit": seen(LOST, LOST)})
    (decided,) = [o for o in plan.outcomes if o.subject.id == "pp_hit"]
    assert (decided.action, decided.reason) == (Action.SKIP, Reason.CLONES_UNDERPERFORM)
    assert isinstance(decided.evidence, PostVerdict)
    assert [o.verdict for o in decided.evidence.recent_outcomes] == [LOST, LOST]
    assert plan.clones == ()


def test_a_source_with_a_recent_win_is_cloned_again():
    plan = evaluate_publish(breakout_day(), {"pp_hit": 2}, Thresholds(), {"pp_hit": seen(WON, LOST)})
    assert [c.subject.id for c in plan.clones] == ["pp_hit"]


def test_hit_rate_counts_decisive_verdicts_only():
    rate = hit_rate(seen(WON, MAYBE, LOST, LOST, WON), 3)
    assert (rate.won, rate.lost, rate.rate) == (1, 2, pytest.approx(1 / 3))


def history():
    return [day(date(2026, 11, d), [("pp_hit", 900, 0.09), ("pp_mid", 900, 0.05)]) for d in (1, 2)]


def test_a_low_hit_rate_proposes_a_threshold_review_with_a_backtest():
    learned = Learned(verdicts=seen(LOST, LOST, WON, LOST))
    review = threshold_review(learned, history(), Thresholds(hit_rate_window=4), "prj_1")
    assert review is not None
    assert (review.action, review.reason) == (Action.SURFACE, Reason.THRESHOLD_REVIEW)
    evidence = review.evidence
    assert isinstance(evidence, ThresholdReview)
    assert (evidence.won, evidence.lost, evidence.hit_rate) == (1, 3, 0.25)
    assert evidence.newest_clone_id == 100
    assert evidence.days_replayed == 2
    assert {tuple(c.changes) for c in evidence.candidates} == {
        ("breakout_multiple",),
        ("min_engagement",),
        ("min_views",),
    }


@pytest.mark.parametrize(
    ("learned", "window"),
    [
        pytest.param(Learned(verdicts=seen(LOST, LOST, WON)), 4, id="too-few-verdicts"),
        pytest.param(Learned(verdicts=seen(WON, LOST, WON, LOST)), 4, id="rate-at-the-bar-or-above"),
        pytest.param(
            Learned(verdicts=seen(LOST, LOST, LOST, LOST), last_review_clone_id=100), 4, id="already-reviewed"
        ),
    ],
)
def test_no_review(learned, window):
    assert (
        threshold_review(learned, history(), Thresholds(hit_rate_window=window, min_hit_rate=0.5), "prj_1")
        is None
    )


def test_a_review_names_the_lost_clones_a_stricter_bar_would_have_removed():
    learned = Learned(verdicts=(OutcomeSeen(7, "cnt_7", "pp_mid", LOST, "2026-11-01"),))
    days = [day(date(2026, 11, 1), [("pp_mid", 900, 0.05)])]
    review = threshold_review(learned, days, Thresholds(hit_rate_window=1), "prj_1")
    assert review is not None
    assert isinstance(review.evidence, ThresholdReview)
    stricter = next(c for c in review.evidence.candidates if "breakout_multiple" in c.changes)
    assert (stricter.clones_removed, stricter.removed_lost) == (1, 1)  # 0.05 is not above 2.5 x 0.02


def test_recorded_day_type_is_the_backtests():
    assert isinstance(history()[0], RecordedDay)
