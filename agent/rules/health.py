"""The monitoring signals the docs ask for (CONTRACT.md §27), as a pure verdict over gathered numbers:
job failures per customer per day, customers with no post in 14 days, a falling average organic score,
and frequent optimizer overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent.rules.thresholds import Range, validate_fields

SIGNAL_JOB_FAILURES = "job_failures"
SIGNAL_NO_RECENT_POSTS = "no_recent_posts"
SIGNAL_ORGANIC_SCORE_DROPPING = "organic_score_dropping"
SIGNAL_FREQUENT_OVERRIDES = "frequent_overrides"

DROP_DIGITS = 9  # far finer than any score, far coarser than float noise


@dataclass(frozen=True)
class HealthThresholds:
    """When a signal fires. Settings take their defaults and ranges from here."""

    max_job_failures_per_day: int = 3
    max_overrides_per_week: int = 3
    score_drop_ratio: float = 0.2  # a fall of 20% or more between the first and last snapshot of the window

    def __post_init__(self) -> None:
        validate_fields(self, HEALTH_RANGES)


HEALTH_RANGES: dict[str, Range] = {
    "max_job_failures_per_day": Range(),
    "max_overrides_per_week": Range(),
    "score_drop_ratio": Range(lo_open=True, hi=1),
}


@dataclass(frozen=True)
class CustomerHealth:
    """What the store knows about one customer, reduced to plain numbers."""

    customer_id: int
    name: str
    job_failures_by_day: dict[date, int]
    posts_published_14d: int | None
    score_series: Sequence[tuple[date, float]]
    overrides_last_week: int


@dataclass(frozen=True)
class Signal:
    customer_id: int
    name: str
    signal: str
    detail: str


def evaluate(customers: Sequence[CustomerHealth], thresholds: HealthThresholds) -> list[Signal]:
    """Every threshold crossed, per customer; an empty list means all is well."""
    signals: list[Signal] = []
    for c in customers:
        for day, failures in sorted(c.job_failures_by_day.items()):
            if failures > thresholds.max_job_failures_per_day:
                signals.append(
                    Signal(
                        c.customer_id,
                        c.name,
                        SIGNAL_JOB_FAILURES,
                        f"{failures} failed jobs on {day} (threshold {thresholds.max_job_failures_per_day})",
                    )
                )
        if c.posts_published_14d == 0:
            signals.append(
                Signal(c.customer_id, c.name, SIGNAL_NO_RECENT_POSTS, "no post published in 14 days")
            )
        drop = score_drop(c.score_series)
        if drop is not None and drop >= thresholds.score_drop_ratio:
            first, last = c.score_series[0][1], c.score_series[-1][1]
            signals.append(
                Signal(
                    c.customer_id,
                    c.name,
                    SIGNAL_ORGANIC_SCORE_DROPPING,
                    f"average organic score fell {drop:.0%} ({first:.2f} -> {last:.2f})",
                )
            )
        if c.overrides_last_week > thresholds.max_overrides_per_week:
            signals.append(
                Signal(
                    c.customer_id,
                    c.name,
                    SIGNAL_FREQUENT_OVERRIDES,
                    f"{c.overrides_last_week} optimizer overrides in 7 days "
                    f"(threshold {thresholds.max_overrides_per_week})",
                )
            )
    return signals


def score_drop(series: Sequence[tuple[date, float]]) -> float | None:
    """Relative fall from the first to the last snapshot (None without two positive snapshots)."""
    if len(series) < 2 or series[0][1] <= 0:
        return None
    first, last = series[0][1], series[-1][1]
    # Rounded: in floating point a fall from 0.5 to 0.4 is 0.19999999999999996, which would miss "20% or more".
    return round(max(0.0, (first - last) / first), DROP_DIGITS)
