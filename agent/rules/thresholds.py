"""The numbers the rules decide with: their defaults (the dataclass fields) and allowed ranges, defined once.

Settings (`agent.config`) take their defaults and ranges from here, and per-customer overrides are checked
against the same ranges, so an override can never hold a value a setting could not.

Defaults follow the Layers guides (CONTRACT.md §27): ~50 views per post is the noise floor, a breakout is
above 2x the customer's median engagement, clone only above 4% engagement, cap clones per source at 5,
act on recommendations at confidence >= 0.7 and show them to a human below 0.5.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.domain.vocabulary import LoopName

RULESET = "v1"
# Each loop stamps its decisions with its own prefix, so a rule version names the loop it came from.
RULE_VERSION_PREFIXES = {
    LoopName.PUBLISH_TO_LEARN: "ptl",
    LoopName.OPTIMIZATION: "opt",
    LoopName.WEEKLY_REVIEW: "wkr",
}
# The docs' cap of clones per source post; the store's CHECK on clone slots is derived from it.
MAX_CLONE_SLOTS = 5
# How many verdicts the loops read back (per source, and per customer): the bound of the learning windows.
MAX_REMEMBERED_OUTCOMES = 50


@dataclass(frozen=True)
class Range:
    """Allowed values: `lo` inclusive (exclusive when `lo_open`), `hi` inclusive when given."""

    lo: float = 0.0
    hi: float | None = None
    lo_open: bool = False

    def describe(self) -> str:
        low = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        return f"{low} and <= {self.hi:g}" if self.hi is not None else low

    def check(self, name: str, value: object, kind: type) -> int | float:
        """The value in its canonical type (`kind`), or ValueError naming it and the allowed range."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (kind is int and isinstance(value, float))
        ):
            raise ValueError(f"{name!r} must be {kind.__name__}, got {type(value).__name__}")
        number: int | float = int(value) if kind is int else float(value)
        too_low = number <= self.lo if self.lo_open else number < self.lo
        if not math.isfinite(number) or too_low or (self.hi is not None and number > self.hi):
            raise ValueError(f"{name!r} must be {self.describe()}, got {value!r}")
        return number


@dataclass(frozen=True)
class Thresholds:
    """Per-customer tunables. Validated on construction, so a bad override fails before any decision."""

    min_views: int = 50
    min_posts: int = 5
    breakout_multiple: float = 2.0
    min_engagement: float = 0.04
    max_clones_per_source: int = MAX_CLONE_SLOTS
    max_clones_per_run: int = 1
    top_n: int = 3
    spend_without_conversions_min: float = 50.0
    min_eligible_pool: int = 3
    commission_cooldown_days: int = 7
    recommendation_act_confidence: float = 0.7
    recommendation_surface_confidence: float = 0.5
    # publish and learn (issue 15): a clone's verdict, and what the next day learns from verdicts
    clones_underperform_after: int = 2  # a source whose last K clones all lost is not cloned again
    outcome_min_views: int = 50  # a clone with fewer views in its judged window is `inconclusive`
    outcome_win_multiple: float = 1.0  # won: engagement strictly above this x the median at cloning
    hit_rate_window: int = 10  # the customer's hit rate is over its last N decisive verdicts...
    min_hit_rate: float = 0.3  # ...and below this a threshold review is proposed

    def __post_init__(self) -> None:
        validate_fields(self, THRESHOLD_RANGES)
        if self.recommendation_surface_confidence > self.recommendation_act_confidence:
            raise ValueError(
                "'recommendation_surface_confidence' must not exceed 'recommendation_act_confidence'"
            )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Thresholds:
        """A copy with per-customer overrides; an unknown name, a wrong type or an out-of-range value is refused."""
        for key in overrides:
            if key not in THRESHOLD_RANGES:
                raise ValueError(f"unknown threshold {key!r}; known: {', '.join(THRESHOLD_RANGES)}")
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, int | float]:
        """JSON-ready view, for evidence and summaries."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


THRESHOLD_RANGES: dict[str, Range] = {
    "min_views": Range(),
    "min_posts": Range(lo=1),  # the median needs at least one eligible post
    "breakout_multiple": Range(lo_open=True),
    "min_engagement": Range(hi=1),
    "max_clones_per_source": Range(lo=1, hi=MAX_CLONE_SLOTS),
    "max_clones_per_run": Range(),
    "top_n": Range(),
    "spend_without_conversions_min": Range(),
    "min_eligible_pool": Range(),
    "commission_cooldown_days": Range(),
    "recommendation_act_confidence": Range(hi=1),
    "recommendation_surface_confidence": Range(hi=1),
    "clones_underperform_after": Range(lo=1, hi=MAX_REMEMBERED_OUTCOMES),
    "outcome_min_views": Range(),
    "outcome_win_multiple": Range(lo_open=True),
    "hit_rate_window": Range(lo=1, hi=MAX_REMEMBERED_OUTCOMES),
    "min_hit_rate": Range(hi=1),
}


def validate_fields(values: object, ranges: Mapping[str, Range]) -> None:
    """Check every field of a frozen dataclass against its range, storing the canonical type.

    Canonical types keep `rule_version` identical for 2 and 2.0.
    """
    if not dataclasses.is_dataclass(values):
        raise TypeError("validate_fields takes a dataclass instance")
    for f in dataclasses.fields(values):
        kind = type(f.default)
        object.__setattr__(values, f.name, ranges[f.name].check(f.name, getattr(values, f.name), kind))


def field_default(cls: type, name: str) -> int | float:
    """The dataclass default of one tunable (what a setting defaults to)."""
    for f in dataclasses.fields(cls):
        if f.name == name and isinstance(f.default, int | float):
            return f.default
    raise KeyError(name)


def rule_version(thresholds: Thresholds, loop: LoopName = LoopName.PUBLISH_TO_LEARN) -> str:
    """E.g. ``ptl-v1+1a2b3c4d``: the loop, the rule set and a digest of the exact thresholds it ran with.

    A sha256 of canonical JSON, not ``hash()``, so the same thresholds name the same version in every process.
    """
    canonical = json.dumps(thresholds.as_dict(), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    return f"{RULE_VERSION_PREFIXES[loop]}-{RULESET}+{digest}"
