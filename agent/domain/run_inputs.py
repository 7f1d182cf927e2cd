"""What a run saw, kept with its plan: every input the rules read, with the numbers they used and the verdict
each input got. It answers "why was this post not cloned on that day?" for any post, and lets a changed
threshold be replayed over past days (a backtest) without calling Layers again.

A publish-to-learn run's record is also the customer's reads of the day: the same local date's optimization
run takes the creative pool and the ranking from it instead of asking Layers again (one read per
customer-day, see `agent.loops.optimization`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.domain.evidence import Evidence
from agent.domain.learn_evidence import OutcomeSeen
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
    # Numbers JSON cannot hold (NaN, infinities) are stored as None and named here, so a replay sees them.
    non_finite: tuple[str, ...] = ()
    title: str | None = None
    # The row's own paid numbers: the stage metrics of growth (conversions) and mature (roas) customers.
    conversions: float | None = None
    roas: float | None = None


@dataclass(frozen=True)
class PoolItemSeen(Evidence):
    """One ads-content row of the creative pool: what the pool check, the health snapshot and the
    exclusions read from it."""

    ads_content_id: str
    post_id: str | None
    eligible: bool
    organic_score: float | None
    excluded: bool = False  # its override is `exclude`


@dataclass(frozen=True)
class PublishInput(Evidence):
    """A publish-to-learn run's whole input: replaying `evaluate_publish` on it gives the run's verdicts."""

    thresholds: dict[str, int | float]
    clone_counts: dict[str, int]
    posts: tuple[PostSeen, ...]
    # The verdicts of each source's clones known that day, newest first (what `clones_underperform` read).
    outcomes: dict[str, tuple[OutcomeSeen, ...]] = field(default_factory=dict)
    # The whole ads-content pool as read that day; None in records written before it was kept.
    pool: tuple[PoolItemSeen, ...] | None = None
