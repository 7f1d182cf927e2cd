"""Optimization: what to surface about ad spend, when to top up the creative pool, and the day's plan.

Layers' optimizer makes the paid-media calls; the guides (CONTRACT.md §19-21, §27) say an agent must not
countermand it without customer consent. So these rules only surface, commission fresh creative, or act
on recommendations that stay inside our own clone path (see `agent.rules.recommendations`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from agent.domain.decisions import CommissionRequest, Decided, Subject
from agent.domain.evidence import PoolCheck, SpendFlag
from agent.domain.vocabulary import Action, Reason, RecommendationStatus, SubjectType
from agent.rules.ads import AdSpend, window_bounds
from agent.rules.policy import Policy, restrain
from agent.rules.recommendations import RecommendationInput, RecommendationOutcome, decide_recommendations
from agent.rules.thresholds import Thresholds


@dataclass(frozen=True)
class HookSource:
    """A recent top performer whose title can seed a new brief."""

    platform_post_id: str | None
    title: str | None
    metric_value: float | None


@dataclass(frozen=True)
class PoolSnapshot:
    """Today's organic health numbers, kept per day so `agent health` can see a trend."""

    average_organic_score: float | None
    scored_items: int
    posts_published_recently: int | None


@dataclass(frozen=True)
class OptimizationInputs:
    project_id: str
    window: tuple[datetime, datetime]
    ads: tuple[AdSpend, ...]
    eligible_pool: int
    hook_source: HookSource | None
    recommendations: tuple[RecommendationInput, ...]
    snapshot: PoolSnapshot
    # The window before `window`, read only for a refresh's fatigue check (issue 15); empty otherwise.
    previous_ads: tuple[AdSpend, ...] = ()


@dataclass(frozen=True)
class OptimizationKnown:
    """What the agent itself remembers: its last live commission, and how it handled recommendations."""

    last_commission_at: datetime | None
    tracked: Mapping[tuple[str, str], RecommendationStatus]


@dataclass(frozen=True)
class OptimizationPlan:
    snapshot: PoolSnapshot
    flags: tuple[Decided, ...]
    pool: Decided
    recommendations: tuple[RecommendationOutcome, ...]


def decide_optimization(
    inputs: OptimizationInputs, known: OptimizationKnown, policy: Policy, now: datetime
) -> OptimizationPlan:
    """The whole day: spend flags, the creative pool, and one outcome per open recommendation."""
    pool = pool_decision(
        project_id=inputs.project_id,
        eligible_count=inputs.eligible_pool,
        last_commission_at=known.last_commission_at,
        now=now,
        best_performer=inputs.hook_source,
        thresholds=policy.thresholds,
    )
    return OptimizationPlan(
        snapshot=inputs.snapshot,
        flags=tuple(flag_spend_without_conversions(inputs.ads, policy.thresholds, inputs.window)),
        pool=restrain(pool, policy.restraint),
        recommendations=tuple(
            decide_recommendations(
                inputs.recommendations, known.tracked, inputs.ads, policy, inputs.previous_ads
            )
        ),
    )


def flag_spend_without_conversions(
    ads: Sequence[AdSpend], thresholds: Thresholds, window: tuple[datetime, datetime]
) -> list[Decided]:
    """Ads that spent more than the threshold with zero conversions: surfaced, never paused by us.

    Layers' optimizer decides pauses; this is the playbook's "likely pauses are coming" warning.
    Biggest spend first.
    """
    since, until = window_bounds(window)
    worrying = [
        ad for ad in ads if ad.spend > thresholds.spend_without_conversions_min and ad.conversions == 0
    ]
    return [
        Decided(
            action=Action.FLAG,
            reason=Reason.SPEND_WITHOUT_CONVERSIONS,
            subject=Subject(SubjectType.AD, ad.ad_id),
            evidence=SpendFlag(
                spend=ad.spend,
                impressions=ad.impressions,
                conversions=ad.conversions,
                window_since=since,
                window_until=until,
                threshold=thresholds.spend_without_conversions_min,
                ads_content_id=ad.ads_content_id,
            ),
            key=f"ad:{ad.ad_id}",
        )
        for ad in sorted(worrying, key=lambda ad: (-ad.spend, ad.ad_id))
    ]


def pick_hook_source(performers: Sequence[HookSource]) -> HookSource | None:
    """The best performer with a usable title (ties and missing metrics keep Layers' ranking order)."""
    titled = [row for row in performers if row.title and row.title.strip()]
    if not titled:
        return None
    return max(titled, key=lambda row: (row.metric_value is not None, row.metric_value or 0.0))


def pool_decision(
    *,
    project_id: str,
    eligible_count: int,
    last_commission_at: datetime | None,
    now: datetime,
    best_performer: HookSource | None,
    thresholds: Thresholds,
) -> Decided:
    """Commission one new piece seeded by the best hook when the eligible creative pool runs thin.

    The cooldown is half-open: a commission exactly ``commission_cooldown_days`` ago no longer blocks, so a
    daily run at the same local time a week later may commission again instead of slipping to day 8.
    """
    hook = (best_performer.title or "").strip() if best_performer else ""
    evidence = PoolCheck(
        eligible_count=eligible_count,
        min_eligible_pool=thresholds.min_eligible_pool,
        hook_source_post_id=best_performer.platform_post_id if best_performer else None,
        last_commission_at=last_commission_at.isoformat() if last_commission_at else None,
        commission_cooldown_days=thresholds.commission_cooldown_days,
    )
    subject = Subject(SubjectType.CREATIVE_POOL, project_id)
    if eligible_count >= thresholds.min_eligible_pool:
        return Decided(Action.NONE, Reason.POOL_HEALTHY, subject, evidence, key="pool")
    cooldown = timedelta(days=thresholds.commission_cooldown_days)
    if last_commission_at is not None and now - last_commission_at < cooldown:
        return Decided(Action.SKIP, Reason.COMMISSION_COOLDOWN, subject, evidence, key="pool")
    if not hook:
        return Decided(Action.SKIP, Reason.NO_HOOK_SOURCE, subject, evidence, key="pool")
    return Decided(
        Action.COMMISSION,
        Reason.THIN_CREATIVE_POOL,
        subject,
        replace(evidence, hook=hook),
        key="pool",
        effect=CommissionRequest(hook, evidence.hook_source_post_id),
    )
