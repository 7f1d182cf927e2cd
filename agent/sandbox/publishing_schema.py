"""The scenario file's publish/learn part (issue 15): a project's social accounts, how its customer reviews
clones (approve or reject, after a delay), how its scheduled posts end, and what its published clones reach.

Its own small base model, so this module imports nothing of the sandbox (`scenario_schema` imports it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, frozen=True)


class SocialAccountSpec(_Model):
    """A connected social account (contract §11); `reauth_required` is one whose token expired."""

    platform: Literal["tiktok", "instagram"] = "tiktok"
    handle: Annotated[str, Field(min_length=1)]
    status: Literal["connected", "reauth_required", "disconnected"] = "connected"


Decision = Literal["approve", "reject"]


def _approve() -> list[Decision]:
    return ["approve"]


class ReviewSpec(_Model):
    """The customer reviews each clone container this long after it completed: the i-th container of a
    clone job gets `decisions[i]` (cycled), so one variation can be approved and another rejected."""

    after_minutes: Annotated[float, Field(ge=0)] = 30
    decisions: list[Decision] = Field(default_factory=_approve, min_length=1)
    reason: Annotated[str, Field(min_length=1, max_length=1024)] = "Not on brand for us."


class PostErrorSpec(_Model):
    code: str = "PLATFORM_REJECTED"
    message: str = "The platform refused the post."


class PostingSpec(_Model):
    """How this project's scheduled posts end: `publishingSeconds` after their slot, with `outcome`."""

    outcome: Literal["published", "failed", "canceled"] = "published"
    publishing_seconds: Annotated[float, Field(ge=0)] = 20
    error: PostErrorSpec = Field(default_factory=PostErrorSpec)


class CloneMetrics(_Model):
    """What a published clone reaches (its lifetime totals, spread like any post's): a winner, a loser."""

    views: Annotated[int, Field(ge=0)]
    engagement_rate: Annotated[float, Field(ge=0, le=1)]


class Publishing(_Model):
    social_accounts: list[SocialAccountSpec] = Field(default_factory=list)
    review: ReviewSpec | None = None  # None: containers wait for an explicit approve/reject call
    posting: PostingSpec = Field(default_factory=PostingSpec)
    # The n-th clone job of the project reaches clone_metrics[n] (cycled) once published; empty: none publish
    # a post (the scheduled post still ends as `posting` says).
    clone_metrics: list[CloneMetrics] = Field(default_factory=list)
    # Scheduling a pending container (contract §9.4, CONFLICT-IN-DOCS): stash it (202 blocked_on_approval,
    # promoted on approval) or refuse it (403 APPROVAL_REQUIRED).
    pending_schedule: Literal["stash", "forbid"] = "stash"
    auto_schedule: bool = False  # sandbox-only hint: register the demo customer with auto-schedule on
