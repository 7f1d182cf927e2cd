"""The publish/learn part of the simulated org's data (issue 15): social accounts, scheduled posts and stashed
schedules, as plain mutable rows keyed by bare ids (see `agent.sandbox.records`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SocialAccountRec:
    id: str
    project_id: str
    platform: str
    handle: str
    status: str
    connected_at: datetime


@dataclass
class ScheduledPostRec:
    id: str
    project_id: str
    container_id: str
    social_account_id: str
    platform: str
    handle: str
    mode: str
    scheduled_for: datetime
    created_at: datetime
    outcome: str  # how it ends, fixed when it is created (`PostingSpec`)
    publishing_seconds: float
    error: dict[str, Any] | None = None
    external_id: str | None = None
    settled: bool = False  # its end was applied (post created, event emitted)


@dataclass
class StashRec:
    """A schedule of a container still in review, promoted into posts once it is approved (§9.4)."""

    container_id: str
    scheduled_for: datetime
    targets: list[tuple[str, str]] = field(default_factory=list)  # (account id, mode)
