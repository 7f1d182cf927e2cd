"""The optional query parameters of each read endpoint, as typed keyword arguments (PEP 692).

Each parameter is named once, here, in snake_case, and `wire.query` sends it camelCased with None
dropped. A client method takes `**filters: Unpack[...]`, so its callers stay type-checked, a new
parameter is one line, and no method can forget to forward one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict


class ProjectFilters(TypedDict, total=False):
    customer_external_id: str | None
    cursor: str | None
    limit: int | None


class MetricsFilters(TypedDict, total=False):
    metrics: Sequence[str] | None
    since: datetime | None
    until: datetime | None
    granularity: str | None


class TopPerformersFilters(TypedDict, total=False):
    limit: int | None
    include_ineligible: bool | None
    source_type: Sequence[str] | None
    platform: Sequence[str] | None


class AdsContentFilters(TypedDict, total=False):
    eligible: bool | None
    sort: str | None
    cursor: str | None
    limit: int | None
    scoring_pool: Sequence[str] | None
    min_score: float | None
    override: str | None


class AdsMetricsFilters(TypedDict, total=False):
    """`group_by="ad"` is the agent playbook's per-ad breakdown (INFERRED, contract §19)."""

    group_by: str | None
    scope: str | None
    id: str | None
    metrics: Sequence[str] | None
    granularity: str | None


class RecommendationFilters(TypedDict, total=False):
    status: str | Sequence[str] | None
    kind: str | Sequence[str] | None
    min_confidence: float | None
    sort: str | None
    cursor: str | None
    limit: int | None


class SocialAccountFilters(TypedDict, total=False):
    platform: str | None
    status: str | Sequence[str] | None
    leased: bool | None
    cursor: str | None
    limit: int | None


class ScheduledPostFilters(TypedDict, total=False):
    status: str | Sequence[str] | None
    social_account_id: str | None
    since: datetime | None
    until: datetime | None
    cursor: str | None
    limit: int | None
