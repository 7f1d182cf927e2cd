"""The publish/learn cycle's decisions in plain words (issue 15), merged into `agent.explanations.WHY`."""

from __future__ import annotations

from collections.abc import Callable

from agent.domain.evidence import Evidence
from agent.domain.learn_evidence import CloneVerdict, InvalidMetrics, ThresholdReview
from agent.domain.vocabulary import Reason

Why = Callable[[Evidence], str]


def _fixed(text: str) -> Why:
    return lambda _: text


def _rate(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "n/a"


def _verdict(won: bool) -> Why:
    def why(evidence: Evidence) -> str:
        verb = "beat" if won else "did not beat"
        if not isinstance(evidence, CloneVerdict):
            return f"the clone's engagement {verb} the customer's median when it was cloned"
        return (
            f"the clone's engagement {_rate(evidence.engagement_rate)} {verb} {evidence.win_multiple:g}x the "
            f"customer's median when it was cloned ({_rate(evidence.median_engagement_rate)})"
        )

    return why


def _inconclusive(evidence: Evidence) -> str:
    if isinstance(evidence, CloneVerdict) and evidence.note:
        return f"the clone could not be judged: {evidence.note}"
    return "the clone could not be judged"


def _review(evidence: Evidence) -> str:
    if not isinstance(evidence, ThresholdReview):
        return "the customer's clones win too rarely; a threshold review is proposed, with a backtest"
    return (
        f"the customer's clones won {evidence.won} of the last {evidence.won + evidence.lost} verdicts, below "
        f"{evidence.min_hit_rate:.0%}; a threshold review is proposed with a backtest (nothing was changed)"
    )


def _invalid(evidence: Evidence) -> str:
    if isinstance(evidence, InvalidMetrics) and evidence.problems:
        return f"Layers' numbers for the post are impossible ({'; '.join(evidence.problems)}), so it was not judged"
    return "Layers' numbers for the post are impossible, so it was not judged"


LEARN_WHY: dict[Reason, Why] = {
    Reason.CLONE_APPROVED: _fixed(
        "the customer approved the clone, so it is scheduled to the connected accounts at the next posting slot"
    ),
    Reason.SCHEDULE_NEEDS_CONSENT: _fixed(
        "the customer approved the clone; scheduling it waits for consent (`agent approve`)"
    ),
    Reason.NO_CONNECTED_ACCOUNT: _fixed(
        "the customer has no connected social account to post to; tried again later"
    ),
    Reason.ACCOUNT_NEEDS_REAUTH: _fixed(
        "the customer's social account must be reconnected (re-auth) before anything is posted to it"
    ),
    Reason.POST_SCHEDULED: _fixed("Layers queued the clone's posts for the posting slot"),
    Reason.SCHEDULE_BLOCKED_ON_APPROVAL: _fixed(
        "Layers stashed the schedule until the container is approved"
    ),
    Reason.SCHEDULE_PROMOTED: _fixed(
        "the container was approved and Layers turned the stashed schedule into posts"
    ),
    Reason.PROMOTION_FAILED: _fixed(
        "the container was approved but Layers made no posts of the stashed schedule, so it is scheduled again"
    ),
    Reason.APPROVAL_REQUIRED: _fixed("Layers refused the schedule because the container is not approved yet"),
    Reason.SCHEDULE_REJECTED: _fixed("Layers refused the schedule as it was sent"),
    Reason.POST_PUBLISHED: _fixed("the post went live"),
    Reason.POST_FAILED: _fixed("the post failed to publish"),
    Reason.POST_CANCELED: _fixed("the post was canceled before it went live"),
    Reason.REVIEW_EXPIRED: _fixed("nobody reviewed the clone in 30 days, so it is no longer followed"),
    Reason.WON: _verdict(True),
    Reason.LOST: _verdict(False),
    Reason.INCONCLUSIVE: _inconclusive,
    Reason.CLONES_UNDERPERFORM: _fixed("the source's last clones all lost, so it is not cloned again"),
    Reason.THRESHOLD_REVIEW: _review,
    Reason.INVALID_METRICS: _invalid,
    Reason.ADS_NOT_RUNNING: _fixed(
        "the subject's ads no longer run, so a refreshed creative would not be seen"
    ),
    Reason.FATIGUE_CONFIRMED: _fixed("live ads metrics confirm the fatigue: CPA rose while impressions held"),
    Reason.ADS_RUNNING: _fixed("the subject's ads are still running, and a refresh only adds creative"),
}
