"""Deterministic synthetic series behind /metrics and /ads-metrics.

Organic: a post's lifetime totals (from the scenario) are spread over the time since it was
published with an exponential decay, so any window and granularity add up exactly to the totals.
Paid: each ad reports its `daily` numbers at 00:00 UTC of every active day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from agent.sandbox.records import AdRec, PostRec

DECAY_DAYS = 2.0
ORGANIC_METRICS = (
    "views",
    "reach",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "watch_time_ms",
    "engagement_rate",
    "followers",
    "follower_delta",
    "posts_published",
)
DEFAULT_ORGANIC = ("views", "engagement_rate", "watch_time_ms")
PAID_METRICS = (
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "cpa",
    "cpc",
    "cpm",
    "ctr",
    "roas",
    "reach",
    "frequency",
)
ENGAGEMENT_SPLIT = {"likes": 0.7, "comments": 0.1, "shares": 0.1, "saves": 0.1}
BASE_FOLLOWERS = 1000
MAX_BUCKETS = 5000


def bucket_starts(since: datetime, until: datetime, granularity: str) -> list[datetime]:
    """Bucket starts covering [since, until); weeks start on Monday (UTC)."""
    if granularity == "hour":
        first = since.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=1)
    else:
        first = datetime.combine(since.date(), datetime.min.time(), UTC)
        if granularity == "week":
            first -= timedelta(days=first.weekday())
        step = timedelta(days=7 if granularity == "week" else 1)
    starts = []
    current = first
    while current < until:
        starts.append(current)
        current += step
        if len(starts) > MAX_BUCKETS:
            break
    return starts


def bucket_label(start: datetime, granularity: str) -> str:
    if granularity == "hour":
        return start.strftime("%Y-%m-%dT%H:00:00Z")
    return start.date().isoformat()


def _share(post: PostRec, a: datetime, b: datetime, now: datetime) -> float:
    """Fraction of the post's lifetime-to-date activity that happened in [a, b)."""
    lifetime = (now - post.published_at).total_seconds() / 86_400
    if lifetime <= 0:
        return 0.0
    lo = max(0.0, (a - post.published_at).total_seconds() / 86_400)
    hi = min(lifetime, (b - post.published_at).total_seconds() / 86_400)
    if hi <= lo:
        return 0.0

    def cumulative(t: float) -> float:
        return 1 - math.exp(-t / DECAY_DAYS)

    return (cumulative(hi) - cumulative(lo)) / cumulative(lifetime)


@dataclass
class _Organic:
    """Organic activity in one bucket (or a whole window); every derived metric comes from these four."""

    views: float = 0.0
    engagements: float = 0.0
    watch_time_ms: float = 0.0
    published: int = 0

    def add(self, other: _Organic) -> None:
        self.views += other.views
        self.engagements += other.engagements
        self.watch_time_ms += other.watch_time_ms
        self.published += other.published

    def values(self, metrics: Iterable[str], followers: float) -> dict[str, Any]:
        derived = {
            "views": round(self.views),
            "reach": round(self.views * 0.78),
            "impressions": round(self.views * 1.35),
            "watch_time_ms": round(self.watch_time_ms),
            "engagement_rate": round(self.engagements / self.views, 4) if self.views else 0.0,
            "followers": round(followers),
            "follower_delta": round(self.views * 0.004),
            "posts_published": self.published,
            **{name: round(self.engagements * part) for name, part in ENGAGEMENT_SPLIT.items()},
        }
        return {name: derived[name] for name in metrics}


def organic_series(
    posts: list[PostRec],
    metrics: list[str],
    since: datetime,
    until: datetime,
    granularity: str,
    now: datetime,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`series` and `totals` for /metrics (totals carry `post_count` always)."""
    starts = bucket_starts(since, until, granularity)
    step_end = [*starts[1:], until]
    followers = BASE_FOLLOWERS + sum(p.views * 0.004 * _share(p, p.published_at, since, now) for p in posts)
    series: list[dict[str, Any]] = []
    total = _Organic()
    for start, end in zip(starts, step_end, strict=True):
        a, b = max(start, since), min(end, until)
        bucket = _Organic()
        for post in posts:
            share = _share(post, a, b, now)
            bucket.views += post.views * share
            bucket.engagements += post.views * post.engagement_rate * share
            bucket.watch_time_ms += post.watch_time_ms * share
            bucket.published += int(a <= post.published_at < b)
        followers += bucket.views * 0.004
        series.append({"bucket": bucket_label(start, granularity), **bucket.values(metrics, followers)})
        total.add(bucket)
    totals = total.values(metrics, followers)
    totals["post_count"] = sum(1 for p in posts if p.published_at < until)
    return series, totals


@dataclass
class PaidTotals:
    """Paid sums over some ad-days; the rates (cpa, roas, ctr, ...) are derived when rendered."""

    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: float = 0.0

    def add(self, ad: AdRec) -> None:
        self.spend += ad.spend
        self.impressions += ad.impressions
        self.clicks += ad.clicks
        self.conversions += ad.conversions
        self.revenue += ad.revenue

    def values(self, extra: Iterable[str] = ()) -> dict[str, Any]:
        """The base bundle (spend, impressions, clicks, conversions, cpa, roas) plus requested extras."""
        reach = self.impressions * 0.7
        derived = {
            "spend": round(self.spend, 2),
            "impressions": self.impressions,
            "clicks": self.clicks,
            "conversions": self.conversions,
            "cpa": round(self.spend / self.conversions, 2) if self.conversions else None,
            "roas": round(self.revenue / self.spend, 2) if self.spend else None,
            "cpc": round(self.spend / self.clicks, 2) if self.clicks else None,
            "cpm": round(self.spend / self.impressions * 1000, 2) if self.impressions else None,
            "ctr": round(self.clicks / self.impressions, 4) if self.impressions else None,
            "reach": round(reach),
            "frequency": round(self.impressions / reach, 2) if reach else None,
        }
        wanted = ["spend", "impressions", "clicks", "conversions", "cpa", "roas"]
        wanted += [m for m in extra if m not in wanted]
        return {name: derived[name] for name in wanted}


def ad_days(ad: AdRec, since: datetime, until: datetime) -> list[date]:
    """Active days whose 00:00 UTC falls in [since, until)."""
    days = []
    day = ad.first_day
    while day <= ad.last_day:
        midnight = datetime.combine(day, datetime.min.time(), UTC)
        if since <= midnight < until:
            days.append(day)
        day += timedelta(days=1)
    return days
