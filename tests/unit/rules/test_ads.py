"""Paid numbers: spend-weighted ROAS and windows."""

from datetime import UTC, datetime, timedelta

import pytest

from agent.rules.ads import spend_weighted_roas, window_bounds, window_days
from tests.support.ads import ad

NOW = datetime(2026, 4, 18, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([], None, id="no-ads"),
        pytest.param([ad(spend=10.0)], None, id="no-roas-reported"),
        pytest.param([ad(spend=0.0, roas=2.0)], None, id="no-spend"),
        pytest.param([ad("a", 900.0, roas=0.5), ad("b", 100.0, roas=4.0)], 0.85, id="weighted"),
        pytest.param([ad("a", 100.0, roas=2.0), ad("b", 100.0)], 2.0, id="unreported-ad-left-out"),
    ],
)
def test_spend_weighted_roas(rows, expected):
    assert spend_weighted_roas(rows) == pytest.approx(expected)


def test_a_reversed_window_is_a_caller_bug():
    with pytest.raises(ValueError, match="before it starts"):
        window_bounds((NOW, NOW - timedelta(days=1)))


@pytest.mark.parametrize(("label", "days"), [("7d", 7), ("30d", 30), ("90d", 90)])
def test_window_labels_name_their_days(label, days):
    assert window_days(label) == days


@pytest.mark.parametrize("label", ["7", "d", "1w", "-7d", ""])
def test_a_window_label_that_is_not_days_is_refused(label):
    with pytest.raises(ValueError, match="number of days"):
        window_days(label)
