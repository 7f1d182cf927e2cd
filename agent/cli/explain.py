"""`agent explain DECISION_ID`: one decision in plain words, with the clone, job and approval that followed."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from agent.cli import context
from agent.store import queries
from agent.store.queries import Explanation

REASONS = {
    "breakout": "it broke out",
    "not_breakout": "its engagement was not above {multiple}x the median",
    "below_engagement_floor": "it beat {multiple}x the median but its engagement was not above {floor}",
    "below_noise_floor": "it had fewer than {min_views} views, too few to judge",
    "clone_cap_reached": "its source already has {cap} clones",
    "run_budget_exhausted": "this run had already spent its clone budget",
    "no_performance_data": "Layers returned no performance data yet",
    "insufficient_data": "fewer than the minimum number of posts had enough views",
    "spend_without_conversions": "it spent without a single conversion",
    "thin_creative_pool": "fewer eligible creatives than the minimum pool remained",
    "commission_cooldown": "fresh creative was already commissioned within the cooldown",
    "no_hook_source": "no recent performer had a title to use as the hook",
    "pool_healthy": "enough eligible creatives remain",
    "low_confidence": "its confidence is below the level worth acting on; shown to a human",
    "moderate_confidence": "its confidence is moderate; surfaced, not acted on",
    "unknown_kind": "the agent does not know this kind of recommendation; surfaced only",
    "unsafe_suggested_action": "its suggested action does not point at a relative /v1/ path; refused",
    "changes_brand_configuration": "it changes the customer's brand configuration, which needs consent",
    "kill_switch": "the kill switch was on, so nothing was sent",
}


def _num(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "?"


def sentences(expl: Explanation) -> list[str]:
    """Plain-words account of a decision and of everything that followed it."""
    d, evidence = expl.decision, expl.decision.evidence or {}
    thresholds = evidence.get("thresholds", {})
    lines = [
        f"Decision {d.id} ({d.created_at:%Y-%m-%d %H:%M} UTC) for {expl.customer.name}, "
        f"{d.loop.replace('_', '-')} loop: {d.action} / {d.reason}, by {d.actor}."
    ]
    if d.subject_type == "platform_post" and "engagement_rate" in evidence:
        ratio = evidence.get("ratio_to_median")
        lines.append(
            f"Post {d.subject_id} had engagement {_num(evidence['engagement_rate'])}"
            + (f", {ratio:.1f}x the median {_num(evidence.get('median_engagement_rate'))}" if ratio else "")
            + f", over {evidence.get('views', '?')} views; the thresholds were {thresholds.get('breakout_multiple', '?')}x "
            f"the median and above {thresholds.get('min_engagement', '?')}."
        )
    why = REASONS.get(d.reason)
    if why:
        lines.append(
            "Why: "
            + why.format(
                multiple=thresholds.get("breakout_multiple", "2"),
                floor=thresholds.get("min_engagement", "0.04"),
                min_views=thresholds.get("min_views", "50"),
                cap=thresholds.get("max_clones_per_source", "5"),
            )
            + "."
        )
    if "posts_seen" in evidence:
        lines.append(
            f"It saw {evidence['posts_seen']} posts, {evidence.get('posts_eligible', '?')} with enough views; "
            f"median engagement {_num(evidence.get('median_engagement_rate'))}."
        )
    if "spend" in evidence and d.subject_type == "ad":
        lines.append(
            f"Ad {d.subject_id} spent {_num(evidence['spend'], 2)} with {evidence.get('conversions')} conversions "
            f"between {evidence.get('window_since')} and {evidence.get('window_until')}."
        )
    if d.reason == "weekly_review":
        totals = evidence.get("totals") or {}
        drivers = evidence.get("drivers") or []
        lines.append(
            f"Week {evidence.get('window_since')} to {evidence.get('window_until')}: spend {_num(totals.get('spend'), 2)}, "
            f"{totals.get('conversions')} conversions, CPA {_num(totals.get('cpa'), 2)}, ROAS {_num(totals.get('roas'), 2)}; "
            f"{len(drivers)} creative(s) drove conversions"
            + (": " + ", ".join(str(c.get("creative_id")) for c in drivers) if drivers else "")
            + "."
        )
    if d.subject_type == "creative_pool":
        lines.append(
            f"{evidence.get('eligible_count')} eligible creatives against a minimum of {evidence.get('min_eligible_pool')}"
            + (
                f"; commissioned fresh creative with the hook {evidence['hook']!r}"
                if evidence.get("hook")
                else ""
            )
            + (f" as container {evidence['container_id']}" if evidence.get("container_id") else "")
            + "."
        )
    if "confidence" in evidence:
        lines.append(
            f"Recommendation {evidence.get('recommendation_id')} had confidence {_num(evidence['confidence'], 2)} "
            f"(act at {evidence.get('act_confidence')}, show a human below {evidence.get('surface_confidence')})."
        )
    lines.extend(_clone_story(expl))
    if expl.approval is not None:
        a = expl.approval
        story = f"Proposed {a.method} {a.path}: {a.status}"
        if a.decided_by:
            story += f" by {a.decided_by} at {a.decided_at:%Y-%m-%d %H:%M}"
        if a.executed_at:
            story += f"; executed at {a.executed_at:%Y-%m-%d %H:%M}"
        lines.append(story + ".")
    lines.extend(f"Then decision {f.id}: {f.action} / {f.reason} by {f.actor}." for f in expl.followups)
    lines.append(f"Rule version {d.rule_version or 'n/a'}.")
    return lines


def _clone_story(expl: Explanation) -> list[str]:
    clone = expl.clone
    if clone is None:
        return []
    number = (expl.decision.evidence or {}).get("clone_number") or clone.slot
    cap = (expl.decision.evidence or {}).get("thresholds", {}).get("max_clones_per_source", 5)
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


def explain(
    decision_id: Annotated[int, typer.Argument(help="The decision to explain")],
    as_json: Annotated[bool, typer.Option("--json", help="Also print the raw evidence")] = False,
) -> None:
    """Explain a decision in plain words: the rule, its thresholds, the evidence, and what followed."""
    with context.database() as db, db.session() as session:
        try:
            expl = queries.explanation(session, decision_id)
        except LookupError as exc:
            raise context.fail(str(exc)) from None
        for line in sentences(expl):
            # Not markup: ids, paths and Layers' error messages may hold "[...]" (e.g. "[redacted]").
            context.console.print(line, highlight=False, soft_wrap=True, markup=False)
        if as_json:
            typer.echo(json.dumps(expl.decision.evidence, indent=2, sort_keys=True, default=str))
