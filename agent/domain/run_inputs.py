"""What a run saw, kept with its plan: every input the rules read, with the numbers they used and the verdict
each input got. It answers "why was this post not cloned on that day?" for any post, and lets a changed
threshold be replayed over past days (a backtest) without calling Layers again.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.domain.evidence import Evidence
from agent.domain.vocabulary import Reason


@dataclass(frozen=True)
class PostSeen(Evidence):
    """One top-performers row as the rules read it, in Layers' order, and what the rules made of it."""

    post_id: str | None
    rank: int | None
    views: int | None
    engagement_rate: float | None
    excluded: bool = False
    verdict: Reason | None = None  # None: the row named no post or had no organic numbers


@dataclass(frozen=True)
class PublishInput(Evidence):
    """A publish-to-learn run's whole input: replaying `evaluate_publish` on it gives the run's verdicts."""

    thresholds: dict[str, int | float]
    clone_counts: dict[str, int]
    posts: tuple[PostSeen, ...]
