"""The verdict rule (issue 15): won, lost or inconclusive, with the lift against the parent and the median."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.domain.learn_evidence import CloneVerdict, VariationResult
from agent.domain.publishing import Baseline
from agent.domain.vocabulary import Action, Reason
from agent.rules.outcomes import CloneResult, judge, judged_window, verdict_due_at
from agent.rules.thresholds import Thresholds

PUBLISHED = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
WINDOW = judged_window(PUBLISHED, days=7)
BASE = Baseline(parent_engagement_rate=0.09, median_engagement_rate=0.03)


def result(*variations, baseline=BASE, window=WINDOW, unpublished=()):
    return CloneResult(
        "cnt_1",
        "pp_parent",
        tuple(
            VariationResult(f"cnt_{i}", f"pp_{i}", views, rate) for i, (views, rate) in enumerate(variations)
        ),
        baseline,
        window,
        72.0,
        unpublished,
    )


@pytest.mark.parametrize(
    ("clone", "thresholds", "verdict"),
    [
        pytest.param(result((5000, 0.05)), Thresholds(), Reason.WON, id="above-the-median-won"),
        pytest.param(result((5000, 0.03)), Thresholds(), Reason.LOST, id="exactly-the-median-lost"),
        pytest.param(result((5000, 0.01)), Thresholds(), Reason.LOST, id="below-the-median-lost"),
        pytest.param(result((49, 0.2)), Thresholds(), Reason.INCONCLUSIVE, id="under-the-views-floor"),
        pytest.param(result((50, 0.2)), Thresholds(), Reason.WON, id="exactly-the-views-floor"),
        pytest.param(
            result((5000, 0.05)), Thresholds(outcome_win_multiple=2.0), Reason.LOST, id="win-multiple-2x"
        ),
        pytest.param(result(), Thresholds(), Reason.INCONCLUSIVE, id="no-numbers"),
        pytest.param(
            result((5000, 0.05), baseline=Baseline(0.09, None)),
            Thresholds(),
            Reason.INCONCLUSIVE,
            id="no-median",
        ),
        pytest.param(
            result(window=None, unpublished=("rejected",)),
            Thresholds(),
            Reason.INCONCLUSIVE,
            id="never-published",
        ),
        pytest.param(result((30, 0.01), (30, 0.09)), Thresholds(), Reason.WON, id="variations-pooled"),
    ],
)
def test_the_verdict(clone, thresholds, verdict):
    decided = judge(clone, thresholds)
    assert (decided.action, decided.reason) == (Action.CLONE_OUTCOME, verdict)
    assert decided.subject.id == "cnt_1"
    assert isinstance(decided.evidence, CloneVerdict)
    assert (decided.evidence.note is None) is (verdict is not Reason.INCONCLUSIVE)


def test_the_evidence_holds_both_lifts_the_window_and_the_floor():
    evidence = judge(result((2000, 0.06), (2000, 0.04)), Thresholds()).evidence
    assert isinstance(evidence, CloneVerdict)
    assert (evidence.views, evidence.engagement_rate) == (4000, pytest.approx(0.05))
    assert evidence.lift_vs_median == pytest.approx(0.05 / 0.03 - 1)
    assert evidence.lift_vs_parent == pytest.approx(0.05 / 0.09 - 1)
    assert (evidence.window_since, evidence.window_until) == (
        PUBLISHED.isoformat(),
        (PUBLISHED + timedelta(days=7)).isoformat(),
    )
    assert (evidence.min_views, evidence.win_multiple, evidence.settle_delay_hours) == (50, 1.0, 72.0)


def test_never_published_says_how_its_containers_ended():
    evidence = judge(result(window=None, unpublished=("rejected", "failed")), Thresholds()).evidence
    assert isinstance(evidence, CloneVerdict)
    assert evidence.note == "never published (rejected, failed)"


@pytest.mark.parametrize(
    ("settle_hours", "due"),
    [
        pytest.param(72, PUBLISHED + timedelta(days=10), id="settle-72h"),
        pytest.param(0, PUBLISHED + timedelta(days=7, minutes=30), id="at-least-the-platform-sync"),
    ],
)
def test_a_verdict_waits_for_a_settled_window(settle_hours, due):
    assert verdict_due_at(PUBLISHED, days=7, settle_hours=settle_hours) == due
