"""The numbers the rules decide with, and a stable name for a rule set plus those numbers.

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

RULESET = "v1"
RULE_VERSION_PREFIX = "ptl"


@dataclass(frozen=True)
class Thresholds:
    """Per-customer tunables. Validated on construction so a bad override fails before any decision."""

    min_views: int = 50
    min_posts: int = 5
    breakout_multiple: float = 2.0
    min_engagement: float = 0.04
    max_clones_per_source: int = 5
    max_clones_per_run: int = 1
    top_n: int = 3
    spend_without_conversions_min: float = 50.0
    min_eligible_pool: int = 3
    commission_cooldown_days: int = 7
    recommendation_act_confidence: float = 0.7
    recommendation_surface_confidence: float = 0.5

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            expected = type(field.default)
            allowed = (int,) if expected is int else (int, float)
            if isinstance(value, bool) or not isinstance(value, allowed):
                raise ValueError(
                    f"threshold {field.name!r} must be {expected.__name__}, got {type(value).__name__}"
                )
            # Canonical types keep rule_version identical for 2 and 2.0.
            object.__setattr__(self, field.name, expected(value))
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"threshold {field.name!r} must be a finite number >= 0, got {value!r}")
        # The median needs at least one eligible post.
        if self.min_posts < 1:
            raise ValueError(f"threshold 'min_posts' must be >= 1, got {self.min_posts!r}")
        for name in ("recommendation_act_confidence", "recommendation_surface_confidence"):
            if getattr(self, name) > 1:
                raise ValueError(f"threshold {name!r} must be within [0, 1], got {getattr(self, name)!r}")
        if self.recommendation_surface_confidence > self.recommendation_act_confidence:
            raise ValueError(
                "threshold 'recommendation_surface_confidence' must not exceed 'recommendation_act_confidence'"
            )

    def with_overrides(self, overrides: Mapping[str, object]) -> Thresholds:
        """A copy with per-customer overrides; unknown names and wrong types raise ValueError naming the key."""
        known = {field.name for field in dataclasses.fields(self)}
        for key in overrides:
            if key not in known:
                raise ValueError(f"unknown threshold {key!r}")
        return dataclasses.replace(self, **overrides)

    def as_dict(self) -> dict[str, int | float]:
        """JSON-ready view, for evidence and summaries."""
        return dataclasses.asdict(self)


def rule_version(thresholds: Thresholds) -> str:
    """E.g. ``ptl-v1+1a2b3c4d``: the rule set and a digest of the exact thresholds it ran with.

    A sha256 of canonical JSON, not ``hash()``, so the same thresholds name the same version in every process.
    """
    canonical = json.dumps(thresholds.as_dict(), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    return f"{RULE_VERSION_PREFIX}-{RULESET}+{digest}"
