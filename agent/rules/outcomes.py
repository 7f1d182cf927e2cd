"""Every clone gets a verdict: did cloning pay off?

A clone is judged once, on the numbers its published variations reached over a settled window (the first
`CLONE_OUTCOME_DAYS` after it went live, read only once that window is older than the settle delay and the
platform-sync cadence). It **won** when its engagement rate is strictly above `outcome_win_multiple` x the
customer's median at the time of cloning, and **lost** otherwise. It is **inconclusive** when it was never
published, when Layers has no numbers for it, when it has fewer than `outcome_min_views` views in the
window, or when the median at cloning is unknown. Its lift against the parent post and against that median
is recorded either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from agent.domain.decisions import Decided, Subject
from agent.domain.learn_evidence import CloneVerdict, VariationResult
from agent.domain.publishing import Baseline
from agent.domain.vocabulary import Action, Reason, SubjectType
from agent.rules.thresholds import Thresholds

# Layers syncs platform posts every 30 minutes (contract §26): numbers younger than that are not final.
PLATFORM_SYNC_CADENCE = timedelta(minutes=30)


def judged_window(published_at: datetime, *, days: int) -> tuple[datetime, datetime]:
    """The window a clone is judged on: its first `days` days live."""
    return published_at, published_at + timedelta(days=days)


def verdict_due_at(published_at: datetime, *, days: int, settle_hours: float) -> datetime:
    """When the judged window is settled: older than the settle delay and than the platform-sync cadence."""
    settle = max(timedelta(hours=settle_hours), PLATFORM_SYNC_CADENCE)
    return judged_window(published_at, days=days)[1] + settle


@dataclass(frozen=True)
class CloneResult:
    """What is known about one clone when it is judged."""

    clone_container_id: str
    source_post_id: str
    variations: tuple[VariationResult, ...]
    baseline: Baseline
    window: tuple[datetime, datetime] | None
    settle_hours: float
    unpublished: tuple[str, ...] = ()  # how its containers ended when none was published


def pooled(variations: Sequence[VariationResult]) -> tuple[int, float | None]:
    """All published variations together: total views and their views-weighted engagement rate."""
    views = sum(v.views for v in variations)
    if views <= 0:
        return views, None
    return views, math.fsum(v.views * v.engagement_rate for v in variations) / views


def _lift(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base - 1


def judge(result: CloneResult, thresholds: Thresholds) -> Decided:
    """The clone's one `clone_outcome` decision: won, lost or inconclusive, with its lifts."""
    views, rate = pooled(result.variations)
    median, parent = result.baseline.median_engagement_rate, result.baseline.parent_engagement_rate
    since, until = result.window if result.window else (None, None)
    evidence = CloneVerdict(
        source_post_id=result.source_post_id,
        views=views if result.variations else None,
        engagement_rate=rate,
        parent_engagement_rate=parent,
        median_engagement_rate=median,
        lift_vs_parent=_lift(rate, parent),
        lift_vs_median=_lift(rate, median),
        min_views=thresholds.outcome_min_views,
        win_multiple=thresholds.outcome_win_multiple,
        window_since=since.isoformat() if since else None,
        window_until=until.isoformat() if until else None,
        settle_delay_hours=result.settle_hours,
        variations=result.variations,
    )
    note: str | None = None
    if result.window is None:
        note = "never published" + (f" ({', '.join(result.unpublished)})" if result.unpublished else "")
    elif not result.variations or rate is None:
        note = "Layers has no numbers for its published posts"
    elif views < thresholds.outcome_min_views:
        note = f"{views} views in the window, fewer than {thresholds.outcome_min_views}"
    elif median is None:
        note = "the customer's median at cloning is unknown"
    if note is not None:
        reason = Reason.INCONCLUSIVE
    elif rate is not None and median is not None and rate > thresholds.outcome_win_multiple * median:
        reason = Reason.WON
    else:
        reason = Reason.LOST
    return Decided(
        action=Action.CLONE_OUTCOME,
        reason=reason,
        subject=Subject(SubjectType.CLONE, result.clone_container_id),
        evidence=replace(evidence, note=note),
        key=f"clone:{result.clone_container_id}:outcome",
    )
