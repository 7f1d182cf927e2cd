"""What is learned from verdicts shapes the next day: a source whose last clones all lost is not cloned again,
and a customer whose clones keep losing gets a threshold review proposed (`agent.rules.threshold_review`).

Verdicts come in newest first (by clone). Only `won` and `lost` say anything about the rules; an
`inconclusive` verdict (never published, too few views) neither counts as a loss nor breaks a streak of
losses: it is passed over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agent.domain.learn_evidence import OutcomeSeen
from agent.domain.vocabulary import Reason

DECISIVE = frozenset({Reason.WON, Reason.LOST})


def decisive(outcomes: Sequence[OutcomeSeen]) -> tuple[OutcomeSeen, ...]:
    return tuple(outcome for outcome in outcomes if outcome.verdict in DECISIVE)


def underperforming(outcomes: Sequence[OutcomeSeen], after: int) -> tuple[OutcomeSeen, ...] | None:
    """The source's last `after` decisive verdicts when they all lost (the evidence), else None."""
    last = decisive(outcomes)[:after]
    if len(last) < after or any(outcome.verdict is not Reason.LOST for outcome in last):
        return None
    return last


@dataclass(frozen=True)
class HitRate:
    won: int
    lost: int
    considered: tuple[OutcomeSeen, ...]

    @property
    def rate(self) -> float | None:
        total = self.won + self.lost
        return self.won / total if total else None


def hit_rate(verdicts: Sequence[OutcomeSeen], window: int) -> HitRate:
    """The share of won clones over the customer's last `window` decisive verdicts."""
    considered = decisive(verdicts)[:window]
    won = sum(1 for outcome in considered if outcome.verdict is Reason.WON)
    return HitRate(won=won, lost=len(considered) - won, considered=considered)


@dataclass(frozen=True)
class Learned:
    """What the publish-to-learn run knows from earlier verdicts (read by the loop's `load`)."""

    outcomes: Mapping[str, tuple[OutcomeSeen, ...]] = field(default_factory=dict)  # per source
    verdicts: tuple[OutcomeSeen, ...] = ()  # the customer's, newest first
    last_review_clone_id: int | None = None  # the newest verdict the last threshold review covered
