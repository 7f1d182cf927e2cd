"""When a customer's clones keep losing, propose a threshold review, with a backtest as its evidence.

The hit rate is the share of won clones over the customer's last `hit_rate_window` decisive verdicts. Once
that many verdicts are in and the rate is below `min_hit_rate`, the day's run surfaces `threshold_review`:
a few stricter settings replayed over the recorded days, each with the clones it would have removed and
how those clones did. The agent never changes a threshold on its own; a person does, with `--overrides`.
A review is proposed once per set of verdicts: it comes back only after a newer verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from agent.domain.decisions import Decided, Subject
from agent.domain.learn_evidence import CandidateReplay, ThresholdReview
from agent.domain.vocabulary import Action, Reason, SubjectType
from agent.rules.backtest import RecordedDay, replay
from agent.rules.learning import Learned, hit_rate
from agent.rules.publish import PublishDay
from agent.rules.thresholds import Thresholds


def candidates(thresholds: Thresholds) -> list[dict[str, int | float]]:
    """Stricter settings worth replaying: a higher breakout bar, a higher engagement floor, more views."""
    return [
        {"breakout_multiple": round(thresholds.breakout_multiple + 0.5, 4)},
        {"min_engagement": round(min(1.0, thresholds.min_engagement * 1.5), 4)},
        {"min_views": thresholds.min_views * 2 if thresholds.min_views else 100},
    ]


def _replayed(
    history: Sequence[RecordedDay], changes: Mapping[str, Any], verdicts: Mapping[tuple[str, str], Reason]
) -> CandidateReplay:
    report = replay(history, changes)
    removed = [
        verdicts.get((d.post_id, d.local_date.isoformat())) for d in report.differences if d.clone_removed
    ]
    return CandidateReplay(
        changes=dict(changes),
        clones_added=report.clones_added,
        clones_removed=report.clones_removed,
        removed_lost=removed.count(Reason.LOST),
        removed_won=removed.count(Reason.WON),
    )


def threshold_review(
    learned: Learned, history: Sequence[RecordedDay], thresholds: Thresholds, project_id: str
) -> Decided | None:
    """`surface / threshold_review` when the hit rate is below the bar for verdicts not reviewed yet."""
    rate = hit_rate(learned.verdicts, thresholds.hit_rate_window)
    value = rate.rate
    if len(rate.considered) < thresholds.hit_rate_window or value is None or value >= thresholds.min_hit_rate:
        return None
    newest = rate.considered[0].clone_id
    if learned.last_review_clone_id == newest:
        return None
    verdicts = {(o.source_post_id, o.cloned_on or ""): o.verdict for o in learned.verdicts}
    return Decided(
        action=Action.SURFACE,
        reason=Reason.THRESHOLD_REVIEW,
        subject=Subject(SubjectType.CUSTOMER, project_id),
        evidence=ThresholdReview(
            hit_rate=value,
            won=rate.won,
            lost=rate.lost,
            window=thresholds.hit_rate_window,
            min_hit_rate=thresholds.min_hit_rate,
            newest_clone_id=newest,
            days_replayed=len(history),
            candidates=tuple(_replayed(history, c, verdicts) for c in candidates(thresholds)),
            thresholds=dict(thresholds.as_dict()),
        ),
        key="threshold_review",
    )


def with_review(day: PublishDay, review: Decided | None) -> PublishDay:
    """The day's decisions with the review before its summary (the summary stays last)."""
    if review is None:
        return day
    *verdicts, summary = day.decisions
    return replace(day, decisions=(*verdicts, review, summary))
