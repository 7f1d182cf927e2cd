"""The windows ops type: relative, named days, dates and ISO times; a typo or an overflow is bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agent.cli import when
from agent.cli.exits import BadInput

NOW = datetime(2026, 11, 30, 15, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", datetime(2026, 11, 23, 15, 45, tzinfo=UTC)),
        ("1w", datetime(2026, 11, 23, 15, 45, tzinfo=UTC)),
        ("24h", datetime(2026, 11, 29, 15, 45, tzinfo=UTC)),
        ("30m", datetime(2026, 11, 30, 15, 15, tzinfo=UTC)),
        ("today", datetime(2026, 11, 30, tzinfo=UTC)),
        ("yesterday", datetime(2026, 11, 29, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:30:00+01:00", datetime(2026, 11, 1, 7, 30, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text, expected):
    assert when.instant("--since", text, now=NOW) == expected


def test_a_day_as_an_upper_bound_includes_the_whole_day():
    assert when.instant("--until", "2026-11-01", now=NOW, end_of_day=True) == datetime(
        2026, 11, 2, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["last tuesday", "7 days", "99999999d", "-3d"])
def test_anything_else_is_bad_input_naming_the_option(text):
    with pytest.raises(BadInput, match="--since"):
        when.instant("--since", text, now=NOW)


def test_a_local_day_is_bounded_in_its_own_timezone():
    start, end = when.day_bounds(date(2026, 11, 30), "America/Los_Angeles")
    assert (start, end) == (datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 12, 1, 8, tzinfo=UTC))
    assert when.local_day("--local-date", "yesterday", today=date(2026, 11, 30)) == date(2026, 11, 29)
    with pytest.raises(BadInput, match="--local-date"):
        when.local_day("--local-date", "7d", today=date(2026, 11, 30))
