"""Decisions in plain words, from their typed evidence: what `agent explain` prints and the web pages show.

`WHY` has a sentence for every reason (a test holds it to that), written against the evidence type that
reason carries, so no line here guesses a shape by sniffing keys.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from agent import explanation_story as story
from agent.domain.evidence import (
    ConfigurationChange,
    ConsentStep,
    ContentReview,
    Evidence,
    Failure,
    GaveUp,
    JobOutcome,
    PoolCheck,
    PostVerdict,
    PublishSummary,
    SpendFlag,
    Triage,
    WeeklyReview,
)
from agent.domain.vocabulary import Reason
from agent.learn_explanations import LEARN_WHY
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
    Reason.BREAKOUT: _post(
        "its engagement was more than {multiple}x the median and above {floor}: a post worth cloning"
    ),
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
    Reason.MODERATE_CONFIDENCE: _fixed(
        "its confidence reaches the surface level but not the act level, so it is shown to people, not acted on"
    ),
    Reason.LOW_CONFIDENCE: _fixed("its confidence is below the surface level; it is shown to people only"),
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
    Reason.CONTENT_APPROVED: _fixed("the customer approved the clone at Layers, so it may be published"),
    Reason.CONTENT_REJECTED: _fixed("the customer rejected the clone at Layers; it will never be published"),
    Reason.JOB_TIMED_OUT: _fixed(
        "a poll after the job's deadline still found it running; it is still checked now and then"
    ),
    Reason.JOB_RECONCILED: _fixed(
        "Layers later reported how the timed-out job really ended, and the work took it"
    ),
    # the ops experience (issue 13): a person changed the customer's configuration
    Reason.CUSTOMER_ADDED: _fixed("a person registered the customer"),
    Reason.SETTINGS_CHANGED: _fixed("a person changed the customer's settings"),
    Reason.CUSTOMER_RENAMED: _fixed("a person renamed the customer"),
    Reason.SCHEDULE_PAUSED: _fixed("a person paused the customer: no scheduled runs until it is resumed"),
    Reason.SCHEDULE_RESUMED: _fixed("a person resumed the customer: its runs are scheduled again"),
    Reason.CUSTOMER_REMOVED: _fixed("a person removed the customer: it never runs again, its history stays"),
    **LEARN_WHY,  # publish and learn (issue 15)
}


def _num(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "n/a"


def _day(text: str) -> str:
    """An ISO instant from the evidence, as its UTC day (the window's bounds)."""
    try:
        return f"{datetime.fromisoformat(text):%Y-%m-%d}"
    except ValueError:
        return text


def _count(value: float | None) -> str:
    """Counts arrive as floats from the metrics; they read as whole numbers."""
    return "n/a" if value is None else f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def setting_text(value: object) -> str:
    if value is None or value == [] or value == {}:
        return "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def _triage(evidence: Triage) -> list[str]:
    """The recommendation's confidence against the bands, the refused request, the live cross-check."""
    lines = [
        f"Recommendation {evidence.recommendation_id or evidence.subject_id} had confidence "
        f"{_num(evidence.confidence, 2)}: the act level is {evidence.act_confidence}; from "
        f"{evidence.surface_confidence} up it counts as moderate, below that as low."
    ]
    if evidence.refusal:
        lines.append(
            f"It suggested {evidence.suggested_method or 'a request'} {evidence.suggested_endpoint or '(none)'}, "
            f"which the agent never sends: {evidence.refusal}."
        )
    check = evidence.cross_check
    if check is not None:
        roas = f"ROAS {_num(check.roas, 2)}" if check.roas is not None else "no ROAS"
        lines.append(
            f"Live ads metrics of its subject ({check.ads} ads): spend {_num(check.spend, 2)}, "
            f"{_count(check.conversions)} conversions, {roas} (break-even {check.breakeven_roas}); "
            f"{WHY[check.reason](evidence)}."
        )
    return lines


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
                f"Ad {subject_id} spent {_num(evidence.spend, 2)} with {_count(evidence.conversions)} conversions "
                f"between {_day(evidence.window_since)} and {_day(evidence.window_until)} (flagged above "
                f"{_num(evidence.threshold, 2)}); nothing was paused."
            ]
        case WeeklyReview():
            totals, drivers = evidence.totals, evidence.drivers
            return [
                f"Week {evidence.window_since} to {evidence.window_until}: spend {_num(totals.spend, 2)}, "
                f"{_count(totals.conversions)} conversions, CPA {_num(totals.cpa, 2)}, ROAS {_num(totals.roas, 2)}; "
                f"{len(drivers)} creative(s) drove conversions"
                + (": " + ", ".join(c.creative_id for c in drivers) if drivers else "")
                + "."
            ]
        case PoolCheck():
            verb = "would have commissioned" if evidence.restraint else "commissioned"
            return [
                f"{evidence.eligible_count} eligible creatives against a minimum of {evidence.min_eligible_pool}"
                + (f"; {verb} fresh creative with the hook {evidence.hook!r}" if evidence.hook else "")
                + (f" as container {evidence.container_id}" if evidence.container_id else "")
                + (" (nothing was sent)" if evidence.restraint and evidence.hook else "")
                + "."
            ]
        case Triage():
            return _triage(evidence)
        case GaveUp():
            return [f"It was tried {evidence.attempts} times; the last error was: {evidence.last_error}."]
        case Failure() if evidence.message:
            return [f"Layers said: {evidence.message}."]
        case ConsentStep() if evidence.note:
            return [f"Note: {evidence.note}."]
        case JobOutcome():
            was = f" (recorded {evidence.previous_status} before)" if evidence.previous_status else ""
            return [
                f"Job {evidence.job_id} ({evidence.kind}) was {evidence.status}{was} at {evidence.polled_at}; "
                f"its deadline was {evidence.deadline_at}."
            ]
        case ConfigurationChange():
            changed = "; ".join(
                f"{c.field} {setting_text(c.before)} → {setting_text(c.after)}" for c in evidence.changes
            )
            return [f"Changed: {changed}." if changed else "Nothing changed."]
        case ContentReview():
            by = f" by {evidence.reviewed_by}" if evidence.reviewed_by else ""
            why = f": {evidence.reason}" if evidence.reason else ""
            return [f"Container {evidence.container_id} was {evidence.approval_status}{by}{why}."]
    return []


def sentences(expl: Explanation, evidence: Evidence) -> list[str]:
    """Plain-words account of a decision and of everything that followed it."""
    d = expl.decision
    lines = [story.header(expl), *evidence_sentences(evidence, d.subject_id or "")]
    lines.append(f"Why: {WHY[Reason(d.reason)](evidence)}.")
    held = story.restraint(d, evidence)
    lines.extend([held] if held else [])
    lines.extend(story.parent(expl))
    lines.extend(story.work(expl, evidence))
    if expl.approval is not None:
        lines.extend(story.proposal(expl.approval, expl.customer.timezone))
    rationale = (expl.recommendation.payload or {}).get("rationale") if expl.recommendation else None
    if rationale:
        lines.append(f"Layers' rationale: {rationale}")
    lines.extend(story.followups(expl))
    lines.append(
        f"Rule version {d.rule_version}." if d.rule_version else "No rule version: a person decided."
    )
    return lines
