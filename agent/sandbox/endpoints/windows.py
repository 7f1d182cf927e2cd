"""The reporting window /metrics and /ads-metrics take: `since`/`until`, 30 days back by default."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.sandbox.context import ApiRequest
from agent.sandbox.errors import validation
from agent.sandbox.params import parse_instant, q_str
from agent.sandbox.series import MAX_BUCKETS, bucket_starts

DEFAULT_WINDOW = timedelta(days=30)


def window(req: ApiRequest, *, allow_date: bool) -> tuple[datetime, datetime]:
    since_raw, until_raw = q_str(req, "since"), q_str(req, "until")
    until = parse_instant(until_raw, "until", allow_date=allow_date) if until_raw else req.now
    since = parse_instant(since_raw, "since", allow_date=allow_date) if since_raw else until - DEFAULT_WINDOW
    if since >= until:
        raise validation([("since", "since must be before until.")])
    return since, until


def check_buckets(since: datetime, until: datetime, granularity: str) -> None:
    if len(bucket_starts(since, until, granularity)) > MAX_BUCKETS:
        raise validation([("granularity", f"Too many buckets (max {MAX_BUCKETS}); narrow the window.")])
