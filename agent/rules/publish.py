"""Publish-to-learn: which of a customer's posts to clone today, and why every top post was or wasn't.

The guides (CONTRACT.md §27) say: ignore posts under ~50 views (noise), a breakout is engagement above 2x the
customer's median, only clone above 4% engagement, cap clones per source. Every decision carries its
evidence so the customer (and we) can see exactly which number it turned on.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from agent.domain.decisions import CloneRequest, Decided, Subject
from agent.domain.evidence import PostThresholds, PostVerdict, PublishSummary, StageTopRow
from agent.domain.learn_evidence import OutcomeSeen
from agent.domain.run_inputs import PoolItemSeen, PostSeen, PublishInput
from agent.domain.vocabulary import Action, CloneOrigin, Reason, Stage, SubjectType
from agent.rules.learning import underperforming
from agent.rules.policy import Policy, restrain
from agent.rules.thresholds import Thresholds
from agent.rules.validity import NUMBERS, json_count, json_number, non_finite, restored, screen

RANKING_METRIC = "engagement_rate"
# Early accounts rank by engagement (absolute views reward luck); later ones by what pays.
STAGE_METRICS = {Stage.EARLY: "engagement_rate", Stage.GROWTH: "conversions", Stage.MATURE: "roas"}


@dataclass(frozen=True)
class PostPerformance:
    """One /top-performers row: ``organic.views`` and ``organic.engagementRate`` are None without organic data."""

    platform_post_id: str | None
    title: str | None
    views: float | None  # a count; a fraction or worse only when Layers sends an impossible number
    engagement_rate: float | None
    metric_value: float | None
    rank: int | None
    # A human set the ads-content override to `exclude` ("legal flagged the music"): it still counts
    # toward the median, but it is never cloned.
    excluded: bool = False
    # The row's paid numbers (``paid.conversions``, ``paid.roas``): later stages rank by them.
    conversions: float | None = None
    roas: float | None = None


@dataclass(frozen=True)
class PublishPlan:
    """One verdict per breakout and top-N post, and the run's summary (`skip_reason` for a skipped run)."""

    outcomes: tuple[Decided, ...]
    summary: PublishSummary
    skip_reason: Reason | None = None
    # Every post the rules could judge (an id and organic numbers), with why it was or was not cloned.
    verdicts: Mapping[str, Reason] = field(default_factory=dict)

    @property
    def clones(self) -> tuple[Decided, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.action is Action.CLONE)


@dataclass(frozen=True)
class PublishInputs:
    """What Layers told the loop today, reduced to what the rules read."""

    project_id: str
    stage: Stage
    posts: tuple[PostPerformance, ...]
    stage_metric: str
    stage_top: tuple[StageTopRow, ...]
    # The creative pool read with the ranking: kept with the run for the day's optimization run.
    pool: tuple[PoolItemSeen, ...] = ()


@dataclass(frozen=True)
class _Post:
    """A row that can be judged: it names a post and carries organic numbers."""

    platform_post_id: str
    title: str | None
    views: int
    engagement_rate: float
    rank: int | None
    excluded: bool = False


def stage_metric(stage: Stage) -> str:
    """The /top-performers ``metric`` a customer at this stage should be ranked by."""
    return STAGE_METRICS[stage]


def evaluate_publish(
    posts: Sequence[PostPerformance],
    clone_counts: Mapping[str, int],
    thresholds: Thresholds,
    outcomes: Mapping[str, Sequence[OutcomeSeen]] | None = None,
) -> PublishPlan:
    """Plan today's clones (at most ``max_clones_per_run``) and explain every breakout and top-N post.

    A post with impossible numbers is not judged (`invalid_metrics`); a breakout whose last clones all lost
    (`outcomes`, newest first per source) is not cloned again (`clones_underperform`).
    """
    screened = screen(posts)
    invalid = tuple(screened.invalid.values())
    judged = _judgeable(screened.valid)
    eligible = [post for post in judged if post.views >= thresholds.min_views]
    base = PublishSummary(
        posts_seen=len(posts), posts_eligible=len(eligible), thresholds=dict(thresholds.as_dict())
    )
    if not posts:
        return _skip_run(Reason.NO_PERFORMANCE_DATA, base, judged)
    if len(eligible) < thresholds.min_posts:
        return _skip_run(Reason.INSUFFICIENT_DATA, base, judged, invalid)

    median = float(statistics.median(post.engagement_rate for post in eligible))
    breakout_floor = thresholds.breakout_multiple * median
    verdicts: dict[str, Reason] = {post_id: Reason.INVALID_METRICS for post_id in screened.invalid}
    for post in judged:
        if post.views < thresholds.min_views:
            verdicts[post.platform_post_id] = Reason.BELOW_NOISE_FLOOR
        elif post.engagement_rate > breakout_floor and post.engagement_rate > thresholds.min_engagement:
            verdicts[post.platform_post_id] = Reason.BREAKOUT
        elif post.engagement_rate > breakout_floor:
            verdicts[post.platform_post_id] = Reason.BELOW_ENGAGEMENT_FLOOR
        else:
            verdicts[post.platform_post_id] = Reason.NOT_BREAKOUT
    breakouts = sorted(
        (post for post in judged if verdicts[post.platform_post_id] is Reason.BREAKOUT),
        key=lambda post: (-post.engagement_rate, post.platform_post_id),
    )

    decisions: list[Decided] = list(invalid)
    budget = thresholds.max_clones_per_run
    for post in breakouts:
        clone_count = clone_counts.get(post.platform_post_id, 0)
        lost = underperforming(
            (outcomes or {}).get(post.platform_post_id, ()), thresholds.clones_underperform_after
        )
        if post.excluded:
            action, reason = Action.SKIP, Reason.EXCLUDED_BY_OVERRIDE
        elif lost is not None:
            action, reason = Action.SKIP, Reason.CLONES_UNDERPERFORM
        elif clone_count >= thresholds.max_clones_per_source:
            action, reason = Action.SKIP, Reason.CLONE_CAP_REACHED
        elif budget <= 0:
            action, reason = Action.SKIP, Reason.RUN_BUDGET_EXHAUSTED
        else:
            action, reason = Action.CLONE, Reason.BREAKOUT
            budget -= 1
        verdicts[post.platform_post_id] = reason
        decisions.append(_verdict(action, reason, post, median, clone_count, thresholds, lost or ()))

    decided = {post.platform_post_id for post in breakouts}
    top = sorted(judged, key=lambda post: -post.engagement_rate)[: thresholds.top_n]
    for post in top:
        if post.platform_post_id in decided:
            continue
        clone_count = clone_counts.get(post.platform_post_id, 0)
        reason = verdicts[post.platform_post_id]
        decisions.append(_verdict(Action.SKIP, reason, post, median, clone_count, thresholds))

    summary = replace(
        base,
        median_engagement_rate=median,
        breakout_post_ids=tuple(post.platform_post_id for post in breakouts),
        outcome_counts=dict(Counter(str(decided.action) for decided in decisions)),
        reason_counts=dict(Counter(str(decided.reason) for decided in decisions)),
    )
    return PublishPlan(outcomes=tuple(decisions), summary=summary, verdicts=verdicts)


@dataclass(frozen=True)
class PublishDay:
    """Today's decisions, and the record of what the run saw (every post, with its verdict)."""

    decisions: tuple[Decided, ...]
    record: PublishInput


def decide_day(
    inputs: PublishInputs,
    clone_counts: Mapping[str, int],
    policy: Policy,
    *,
    outcomes: Mapping[str, Sequence[OutcomeSeen]] | None = None,
) -> PublishDay:
    """Every decision of today's run: the post verdicts (restrained as the policy says) and the summary."""
    plan = evaluate_publish(inputs.posts, clone_counts, policy.thresholds, outcomes)
    summary = replace(
        plan.summary,
        stage=inputs.stage,
        stage_metric=inputs.stage_metric,
        top=inputs.stage_top,
        restraint=policy.restraint,
    )
    decisions = (
        *(restrain(outcome, policy.restraint) for outcome in plan.outcomes),
        Decided(
            action=Action.SKIP if plan.skip_reason else Action.SUMMARY,
            reason=plan.skip_reason or Reason.DAILY_SUMMARY,
            subject=Subject(SubjectType.CUSTOMER, inputs.project_id),
            evidence=summary,
            key="summary",
        ),
    )
    record = input_record(
        inputs.posts, clone_counts, policy.thresholds, plan, pool=inputs.pool, outcomes=outcomes
    )
    return PublishDay(decisions=decisions, record=record)


def input_record(
    posts: Sequence[PostPerformance],
    clone_counts: Mapping[str, int],
    thresholds: Thresholds,
    plan: PublishPlan,
    *,
    pool: Sequence[PoolItemSeen] = (),
    outcomes: Mapping[str, Sequence[OutcomeSeen]] | None = None,
) -> PublishInput:
    """Everything the run judged, compactly: replaying `evaluate_publish` on it gives the same verdicts.

    The clone verdicts known that day are kept too (they decide `clones_underperform`), and a number JSON
    cannot hold is stored as None and named, so a replay still sees an impossible row.
    """
    return PublishInput(
        thresholds=dict(thresholds.as_dict()),
        clone_counts=dict(clone_counts),
        posts=tuple(
            PostSeen(
                post_id=post.platform_post_id,
                rank=post.rank,
                views=json_count(post.views),
                engagement_rate=json_number(post.engagement_rate),
                excluded=post.excluded,
                verdict=plan.verdicts.get(post.platform_post_id) if post.platform_post_id else None,
                title=post.title,
                conversions=json_number(post.conversions),
                roas=json_number(post.roas),
                non_finite=non_finite(post, NUMBERS),
            )
            for post in posts
        ),
        pool=tuple(pool),
        outcomes={source: tuple(seen) for source, seen in (outcomes or {}).items() if seen},
    )


def replay_posts(record: PublishInput) -> tuple[PostPerformance, ...]:
    """The rules' inputs back from a run's record, in Layers' order (the ranking metric is engagement)."""
    return tuple(
        PostPerformance(
            platform_post_id=seen.post_id,
            title=seen.title,
            views=restored(seen.non_finite, "views", seen.views),
            engagement_rate=restored(seen.non_finite, "engagement_rate", seen.engagement_rate),
            metric_value=seen.engagement_rate,
            rank=seen.rank,
            excluded=seen.excluded,
            conversions=restored(seen.non_finite, "conversions", seen.conversions),
            roas=restored(seen.non_finite, "roas", seen.roas),
        )
        for seen in record.posts
    )


def _judgeable(rows: Sequence[PostPerformance]) -> list[_Post]:
    """Rows naming a post with organic numbers, first row per post id (Layers ranks best first)."""
    posts: dict[str, _Post] = {}
    for row in rows:
        if (
            row.platform_post_id
            and row.views is not None
            and row.engagement_rate is not None
            and math.isfinite(row.engagement_rate)
            and row.platform_post_id not in posts
        ):
            posts[row.platform_post_id] = _Post(
                platform_post_id=row.platform_post_id,
                title=row.title,
                views=int(row.views),
                engagement_rate=float(row.engagement_rate),
                rank=row.rank,
                excluded=row.excluded,
            )
    return list(posts.values())


def _skip_run(
    reason: Reason, base: PublishSummary, judged: Sequence[_Post], invalid: Sequence[Decided] = ()
) -> PublishPlan:
    """A run with nothing to judge: its posts take the run's reason; impossible ones keep theirs."""
    counts = Counter([str(Action.SKIP), *(str(decided.action) for decided in invalid)])
    reasons = Counter([str(reason), *(str(decided.reason) for decided in invalid)])
    summary = replace(base, outcome_counts=dict(counts), reason_counts=dict(reasons))
    verdicts = {post.platform_post_id: reason for post in judged}
    verdicts.update({decided.subject.id: Reason.INVALID_METRICS for decided in invalid})
    return PublishPlan(outcomes=tuple(invalid), summary=summary, skip_reason=reason, verdicts=verdicts)


def _verdict(
    action: Action,
    reason: Reason,
    post: _Post,
    median: float,
    clone_count: int,
    thresholds: Thresholds,
    recent_outcomes: Sequence[OutcomeSeen] = (),
) -> Decided:
    evidence = PostVerdict(
        title=post.title,
        rank=post.rank,
        engagement_rate=post.engagement_rate,
        median_engagement_rate=median,
        ratio_to_median=post.engagement_rate / median if median else None,
        views=post.views,
        thresholds=PostThresholds(
            breakout_multiple=thresholds.breakout_multiple,
            min_engagement=thresholds.min_engagement,
            min_views=thresholds.min_views,
            max_clones_per_source=thresholds.max_clones_per_source,
        ),
        clone_count=clone_count,
        clone_number=clone_count + 1 if action is Action.CLONE else None,
        recent_outcomes=tuple(recent_outcomes),
    )
    return Decided(
        action=action,
        reason=reason,
        subject=Subject(SubjectType.PLATFORM_POST, post.platform_post_id),
        evidence=evidence,
        key=f"post:{post.platform_post_id}",
        effect=CloneRequest(post.platform_post_id, CloneOrigin.BREAKOUT) if action is Action.CLONE else None,
    )
