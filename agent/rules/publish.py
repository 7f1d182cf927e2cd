"""Publish-to-learn: which of a customer's posts to clone today, and why every top post was or wasn't.

The guides (CONTRACT.md §27) say: ignore posts under ~50 views (noise), a breakout is engagement above 2x the
customer's median, only clone above 4% engagement, cap clones per source. Every decision carries its
evidence so the customer (and we) can see exactly which number it turned on.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agent.rules.thresholds import Thresholds

ACTION_CLONE = "clone"
ACTION_SKIP = "skip"

REASON_NO_DATA = "no_performance_data"
REASON_INSUFFICIENT_DATA = "insufficient_data"
REASON_BREAKOUT = "breakout"
REASON_CLONE_CAP_REACHED = "clone_cap_reached"
REASON_RUN_BUDGET_EXHAUSTED = "run_budget_exhausted"
REASON_BELOW_NOISE_FLOOR = "below_noise_floor"
REASON_BELOW_ENGAGEMENT_FLOOR = "below_engagement_floor"
REASON_NOT_BREAKOUT = "not_breakout"
REASON_EXCLUDED_BY_OVERRIDE = "excluded_by_override"

# platform_post_id of an outcome about the whole run (no data at all, too little data), not one post.
WHOLE_RUN = ""

STAGE_EARLY = "early"
STAGE_GROWTH = "growth"
STAGE_MATURE = "mature"
METRIC_ENGAGEMENT_RATE = "engagement_rate"
METRIC_CONVERSIONS = "conversions"
METRIC_ROAS = "roas"
# Early accounts rank by engagement (absolute views reward luck); later ones by what pays.
STAGE_METRICS = {
    STAGE_EARLY: METRIC_ENGAGEMENT_RATE,
    STAGE_GROWTH: METRIC_CONVERSIONS,
    STAGE_MATURE: METRIC_ROAS,
}


@dataclass(frozen=True)
class PostPerformance:
    """One /top-performers row: ``organic.views`` and ``organic.engagementRate`` are None without organic data."""

    platform_post_id: str | None
    title: str | None
    views: int | None
    engagement_rate: float | None
    metric_value: float | None
    rank: int | None
    # A human set the ads-content override to `exclude` ("legal flagged the music"): it still counts
    # toward the median, but it is never cloned.
    excluded: bool = False


@dataclass(frozen=True)
class PostOutcome:
    action: Literal["clone", "skip"]
    reason: str
    platform_post_id: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class PublishPlan:
    outcomes: tuple[PostOutcome, ...]
    summary: dict[str, Any]
    skip_reason: str | None = None

    @property
    def clones(self) -> tuple[PostOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.action == ACTION_CLONE)


@dataclass(frozen=True)
class _Post:
    """A row that can be judged: it names a post and carries organic numbers."""

    platform_post_id: str
    title: str | None
    views: int
    engagement_rate: float
    rank: int | None
    excluded: bool = False


def stage_metric(stage: str) -> str:
    """The /top-performers ``metric`` a customer at this stage should be ranked by."""
    try:
        return STAGE_METRICS[stage]
    except KeyError:
        raise ValueError(f"unknown stage {stage!r}; expected one of {sorted(STAGE_METRICS)}") from None


def top_by_stage_metric(rows: Sequence[PostPerformance], n: int) -> list[PostPerformance]:
    """The n rows with the highest ``metric_value`` (rows without one dropped; ties keep Layers' order)."""
    ranked = sorted((row for row in rows if row.metric_value is not None), key=lambda row: -row.metric_value)
    return ranked[:n]


def evaluate_publish(
    posts: Sequence[PostPerformance], clone_counts: Mapping[str, int], thresholds: Thresholds
) -> PublishPlan:
    """Plan today's clones (at most ``max_clones_per_run``) and explain every breakout and top-N post."""
    judged = _judgeable(posts)
    eligible = [post for post in judged if post.views >= thresholds.min_views]
    base = {"posts_seen": len(posts), "posts_eligible": len(eligible), "thresholds": thresholds.as_dict()}

    if not posts:
        return _skip_run(REASON_NO_DATA, base)
    if len(eligible) < thresholds.min_posts:
        return _skip_run(REASON_INSUFFICIENT_DATA, base)

    median = float(statistics.median(post.engagement_rate for post in eligible))
    breakout_floor = thresholds.breakout_multiple * median
    breakouts = sorted(
        (
            post
            for post in eligible
            if post.engagement_rate > breakout_floor and post.engagement_rate > thresholds.min_engagement
        ),
        key=lambda post: (-post.engagement_rate, post.platform_post_id),
    )

    outcomes: list[PostOutcome] = []
    budget = thresholds.max_clones_per_run
    for post in breakouts:
        clone_count = clone_counts.get(post.platform_post_id, 0)
        if post.excluded:
            action, reason = ACTION_SKIP, REASON_EXCLUDED_BY_OVERRIDE
        elif clone_count >= thresholds.max_clones_per_source:
            action, reason = ACTION_SKIP, REASON_CLONE_CAP_REACHED
        elif budget <= 0:
            action, reason = ACTION_SKIP, REASON_RUN_BUDGET_EXHAUSTED
        else:
            action, reason = ACTION_CLONE, REASON_BREAKOUT
            budget -= 1
        outcomes.append(_outcome(action, reason, post, median, clone_count, thresholds))

    decided = {post.platform_post_id for post in breakouts}
    top = sorted(judged, key=lambda post: -post.engagement_rate)[: thresholds.top_n]
    for post in top:
        if post.platform_post_id in decided:
            continue
        if post.views < thresholds.min_views:
            reason = REASON_BELOW_NOISE_FLOOR
        elif post.engagement_rate > breakout_floor:
            reason = REASON_BELOW_ENGAGEMENT_FLOOR
        else:
            reason = REASON_NOT_BREAKOUT
        clone_count = clone_counts.get(post.platform_post_id, 0)
        outcomes.append(_outcome(ACTION_SKIP, reason, post, median, clone_count, thresholds))

    summary = {
        **base,
        "median_engagement_rate": median,
        "breakout_post_ids": [post.platform_post_id for post in breakouts],
        "outcome_counts": dict(Counter(outcome.action for outcome in outcomes)),
        "reason_counts": dict(Counter(outcome.reason for outcome in outcomes)),
    }
    return PublishPlan(outcomes=tuple(outcomes), summary=summary)


def _judgeable(rows: Sequence[PostPerformance]) -> list[_Post]:
    """Rows naming a post with organic numbers, first row per post id (Layers ranks best first)."""
    posts: dict[str, _Post] = {}
    for row in rows:
        if (
            row.platform_post_id
            and row.views is not None
            and row.engagement_rate is not None
            and math.isfinite(row.engagement_rate)
            and row.platform_post_id not in posts
        ):
            posts[row.platform_post_id] = _Post(
                platform_post_id=row.platform_post_id,
                title=row.title,
                views=int(row.views),
                engagement_rate=float(row.engagement_rate),
                rank=row.rank,
                excluded=row.excluded,
            )
    return list(posts.values())


def _skip_run(reason: str, base: dict[str, Any]) -> PublishPlan:
    outcome = PostOutcome(action=ACTION_SKIP, reason=reason, platform_post_id=WHOLE_RUN, evidence=dict(base))
    summary = {
        **base,
        "median_engagement_rate": None,
        "breakout_post_ids": [],
        "outcome_counts": {ACTION_SKIP: 1},
        "reason_counts": {reason: 1},
    }
    return PublishPlan(outcomes=(outcome,), summary=summary, skip_reason=reason)


def _outcome(
    action: Literal["clone", "skip"],
    reason: str,
    post: _Post,
    median: float,
    clone_count: int,
    thresholds: Thresholds,
) -> PostOutcome:
    evidence = {
        "title": post.title,
        "rank": post.rank,
        "engagement_rate": post.engagement_rate,
        "median_engagement_rate": median,
        "ratio_to_median": post.engagement_rate / median if median else None,
        "views": post.views,
        "thresholds": {
            "breakout_multiple": thresholds.breakout_multiple,
            "min_engagement": thresholds.min_engagement,
            "min_views": thresholds.min_views,
            "max_clones_per_source": thresholds.max_clones_per_source,
        },
        "clone_count": clone_count,
        "clone_number": clone_count + 1 if action == ACTION_CLONE else None,
    }
    return PostOutcome(
        action=action, reason=reason, platform_post_id=post.platform_post_id, evidence=evidence
    )
