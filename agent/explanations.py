"""Decisions in plain words, from their typed evidence: what `agent explain` prints and the web pages show.

`WHY` has a sentence for every reason (a test holds it to that), written against the evidence type that
reason carries, so no line here guesses a shape by sniffing keys.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.domain.evidence import (
    ConsentStep,
    Evidence,
    Failure,
    GaveUp,
    PoolCheck,
    PostVerdict,
    PublishSummary,
    SpendFlag,
    Triage,
    WeeklyReview,
)
from agent.domain.vocabulary import Reason
from agent.rules.thresholds import MAX_CLONE_SLOTS
from agent.store.reports import Explanation

Why = Callable[[Evidence], str]


def _post(template: str) -> Why:
    """A sentence that names the thresholds the post was judged against."""

    def why(evidence: Evidence) -> str:
        if not isinstance(evidence, PostVerdict):
            return template.format(
                multiple="the breakout multiple",
                floor="the floor",
                min_views="the minimum",
                cap=MAX_CLONE_SLOTS,
            )
        t = evidence.thresholds
        return template.format(
            multiple=t.breakout_multiple,
            floor=t.min_engagement,
            min_views=t.min_views,
            cap=t.max_clones_per_source,
        )

    return why


def _fixed(text: str) -> Why:
    return lambda _: text


WHY: dict[Reason, Why] = {
    Reason.BREAKOUT: _fixed("it broke out"),
    Reason.NOT_BREAKOUT: _post("its engagement was not above {multiple}x the median"),
    Reason.BELOW_ENGAGEMENT_FLOOR: _post(
        "it beat {multiple}x the median but its engagement was not above {floor}"
    ),
    Reason.BELOW_NOISE_FLOOR: _post("it had fewer than {min_views} views, too few to judge"),
    Reason.CLONE_CAP_REACHED: _post("its source already has {cap} clones"),
    Reason.RUN_BUDGET_EXHAUSTED: _fixed("this run had already spent its clone budget"),
    Reason.EXCLUDED_BY_OVERRIDE: _fixed(
        "a person excluded it through its ads-content override, so it is never cloned"
    ),
    Reason.NO_PERFORMANCE_DATA: _fixed("Layers returned no performance data yet"),
    Reason.INSUFFICIENT_DATA: _fixed("fewer than the minimum number of posts had enough views"),
    Reason.DAILY_SUMMARY: _fixed("this is the day's summary of every post the run judged"),
    Reason.KILL_SWITCH: _fixed("the kill switch was on, so nothing was sent"),
    Reason.CUSTOMER_PAUSED: _fixed("the customer is paused, so the run did nothing"),
    Reason.SPEND_WITHOUT_CONVERSIONS: _fixed("it spent without a single conversion"),
    Reason.POOL_HEALTHY: _fixed("enough eligible creatives remain"),
    Reason.COMMISSION_COOLDOWN: _fixed("fresh creative was already commissioned within the cooldown"),
    Reason.NO_HOOK_SOURCE: _fixed("no recent performer had a title to use as the hook"),
    Reason.THIN_CREATIVE_POOL: _fixed("fewer eligible creatives than the minimum pool remained"),
    Reason.UNSAFE_SUGGESTED_ACTION: _fixed(
        "its suggested action is not a method and relative /v1/ path the agent sends; refused"
    ),
    Reason.UNKNOWN_KIND: _fixed("the agent does not know this kind of recommendation; surfaced only"),
    Reason.REFRESH_FATIGUED: _fixed(
        "a confident refresh of a fatigued creative, done through the agent's own clone path"
    ),
    Reason.CHANGES_BRAND_CONFIGURATION: _fixed(
        "it changes the customer's brand configuration, which needs consent"
    ),
    Reason.AUTO_APPROVED_BY_POLICY: _fixed("the customer's policy approves this kind of change in advance"),
    Reason.MODERATE_CONFIDENCE: _fixed("its confidence is moderate; surfaced, not acted on"),
    Reason.LOW_CONFIDENCE: _fixed("its confidence is below the level worth acting on; shown to a human"),
    Reason.ADS_METRICS_DISAGREE: _fixed(
        "live ads metrics show the subject converting at or above break-even"
    ),
    Reason.NO_SOURCE_POST: _fixed("the recommendation names no post to clone"),
    Reason.NO_PAID_DATA: _fixed("the subject has no paid data, so a refresh cannot hurt"),
    Reason.NO_CONVERSIONS: _fixed("the subject converts nothing, so a refresh cannot hurt"),
    Reason.ROAS_BELOW_BREAKEVEN: _fixed("the subject loses money (ROAS below 1), so a refresh cannot hurt"),
    Reason.WEEKLY_REVIEW: _fixed("this is the week's review of spend and conversions per creative"),
    Reason.ATTEMPTS_EXHAUSTED: _fixed("the run failed too many times in a row and was given up"),
    Reason.MALFORMED_RESPONSE: _fixed("Layers answered with a response that breaks its contract"),
    Reason.LAYERS_KILL_SWITCH: _fixed("Layers' own kill switch is on for this key; a human must act"),
    Reason.LAYERS_ACCESS_DENIED: _fixed(
        "Layers refused the API key (revoked, wrong environment or missing scope)"
    ),
    Reason.LAYERS_NOT_FOUND: _fixed(
        "Layers does not know the project (or it belongs to another organization)"
    ),
    Reason.LAYERS_REJECTED: _fixed("Layers refused the request"),
    Reason.CLONE_REJECTED: _fixed("Layers refused the clone, so its slot was given back"),
    Reason.COMMISSION_REJECTED: _fixed("Layers refused the commission"),
    Reason.EXECUTION_FAILED: _fixed("Layers refused the approved action when it was executed"),
    Reason.APPROVED_BY_CUSTOMER: _fixed("the proposal was approved"),
    Reason.REJECTED_BY_CUSTOMER: _fixed("the proposal was turned down and will never execute"),
    Reason.EXECUTED_AFTER_APPROVAL: _fixed(
        "the approved action was executed once, under its own Idempotency-Key"
    ),
    Reason.UNSAFE_APPROVED_ACTION: _fixed(
        "the approved action's method or path is one the agent never sends; refused"
    ),
}


def _num(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "n/a"


def evidence_sentences(evidence: Evidence, subject_id: str) -> list[str]:
    """What the evidence itself says, one sentence per fact, by its type."""
    match evidence:
        case PostVerdict():
            ratio = evidence.ratio_to_median
            t = evidence.thresholds
            return [
                f"Post {subject_id} had engagement {_num(evidence.engagement_rate)}"
                + (f", {ratio:.1f}x the median {_num(evidence.median_engagement_rate)}" if ratio else "")
                + f", over {evidence.views} views; the thresholds were {t.breakout_multiple}x "
                f"the median and above {t.min_engagement}."
            ]
        case PublishSummary():
            return [
                f"It saw {evidence.posts_seen} posts, {evidence.posts_eligible} with enough views; "
                f"median engagement {_num(evidence.median_engagement_rate)}."
            ]
        case SpendFlag():
            return [
                f"Ad {subject_id} spent {_num(evidence.spend, 2)} with {evidence.conversions:g} conversions "
                f"between {evidence.window_since} and {evidence.window_until}."
            ]
        case WeeklyReview():
            totals, drivers = evidence.totals, evidence.drivers
            return [
                f"Week {evidence.window_since} to {evidence.window_until}: spend {_num(totals.spend, 2)}, "
                f"{totals.conversions:g} conversions, CPA {_num(totals.cpa, 2)}, ROAS {_num(totals.roas, 2)}; "
                f"{len(drivers)} creative(s) drove conversions"
                + (": " + ", ".join(c.creative_id for c in drivers) if drivers else "")
                + "."
            ]
        case PoolCheck():
            return [
                f"{evidence.eligible_count} eligible creatives against a minimum of {evidence.min_eligible_pool}"
                + (f"; commissioned fresh creative with the hook {evidence.hook!r}" if evidence.hook else "")
                + (f" as container {evidence.container_id}" if evidence.container_id else "")
                + "."
            ]
        case Triage():
            return [
                f"Recommendation {evidence.recommendation_id} had confidence {_num(evidence.confidence, 2)} "
                f"(act at {evidence.act_confidence}, show a human below {evidence.surface_confidence})."
            ]
        case GaveUp():
            return [f"It was tried {evidence.attempts} times; the last error was: {evidence.last_error}."]
        case Failure() if evidence.message:
            return [f"Layers said: {evidence.message}."]
        case ConsentStep() if evidence.note:
            return [f"Note: {evidence.note}."]
    return []


def sentences(expl: Explanation, evidence: Evidence) -> list[str]:
    """Plain-words account of a decision and of everything that followed it."""
    d = expl.decision
    lines = [
        f"Decision {d.id} ({d.created_at:%Y-%m-%d %H:%M} UTC) for {expl.customer.name}, "
        f"{d.loop.replace('_', '-')} loop: {d.action} / {d.reason}, by {d.actor}."
    ]
    facts = evidence_sentences(evidence, d.subject_id or "")
    lines.extend(facts[:1] if isinstance(evidence, PostVerdict) else [])
    lines.append(f"Why: {WHY[Reason(d.reason)](evidence)}.")
    lines.extend(facts if not isinstance(evidence, PostVerdict) else facts[1:])
    lines.extend(_clone_story(expl, evidence))
    if expl.approval is not None:
        a = expl.approval
        story = f"Proposed {a.method} {a.path}: {a.status}"
        if a.decided_by and a.decided_at:
            story += f" by {a.decided_by} at {a.decided_at:%Y-%m-%d %H:%M}"
        if a.executed_at:
            story += f"; executed at {a.executed_at:%Y-%m-%d %H:%M}"
        lines.append(story + ".")
    lines.extend(f"Then decision {f.id}: {f.action} / {f.reason} by {f.actor}." for f in expl.followups)
    lines.append(f"Rule version {d.rule_version or 'n/a'}.")
    return lines


def _clone_story(expl: Explanation, evidence: Evidence) -> list[str]:
    clone = expl.clone
    if clone is None:
        return []
    verdict = evidence if isinstance(evidence, PostVerdict) else None
    slot = evidence.clone_slot if isinstance(evidence, PostVerdict | Triage) else None
    # A failed clone gave its slot back: the number it had is the one its decision recorded.
    number = (verdict.clone_number if verdict else None) or slot or clone.slot
    cap = verdict.thresholds.max_clones_per_source if verdict else MAX_CLONE_SLOTS
    story = [f"Clone {number} of {cap} {clone.status} as container {clone.container_id}"]
    if expl.job is not None:
        job = expl.job
        ended = (
            f" at {job.finished_at:%Y-%m-%d %H:%M}"
            if job.finished_at
            else f", next poll {job.next_poll_at:%H:%M:%S}"
        )
        story.append(f"job {job.job_id} {job.status}{ended}")
    if clone.error_code:
        story.append(f"error {clone.error_code}: {clone.error_message}")
    if clone.approval_status == "pending":
        story.append("waiting for customer approval")
    elif clone.approval_status:
        story.append(f"approval status {clone.approval_status}")
    return ["; ".join(story) + "."]
