"""What each page of the web decision log shows, as plain data: the HTML template and the JSON twin are two
renderings of the same dict. Filters are the CLI's own (`agent.cli.choices`, `agent.cli.when`), and a
decision reads in the very sentences `agent explain` prints (`agent.explanations`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent import explanations
from agent.cli import choices, when
from agent.cli.exits import BadInput
from agent.config import Settings
from agent.proposal_compare import compare
from agent.proposal_diff import heading
from agent.rules.health import evaluate
from agent.store import customers, decisions, reports, run_attempts, web_queries
from agent.store.db import Session
from agent.store.reports import DecisionQuery

Params = Mapping[str, str]


class NotFound(LookupError):
    """The page names something that does not exist (404)."""


@dataclass(frozen=True)
class Context:
    settings: Settings
    now: Callable[[], datetime]

    @property
    def page_size(self) -> int:
        return self.settings.web_page_size


def _int(params: Params, name: str) -> int | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BadInput(f"{name} {value!r}: expected a whole number")
    return int(value)


def _text(params: Params, name: str) -> str | None:
    return params.get(name, "").strip() or None


def outcome(row: Mapping[str, Any]) -> str | None:
    """How a decision ended, when it started something: its clone, commission or proposal."""
    if row.get("clone_status"):
        review = row.get("clone_review")
        return f"clone {row['clone_status']}" + (f", review {review}" if review else "")
    if row.get("commission_status"):
        return f"commission {row['commission_status']}"
    if row.get("approval_status"):
        return f"proposal {row['approval_status']}"
    return None


def _decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["outcome"] = outcome(row)
        row["local_time"] = row["created_at"].astimezone(ZoneInfo(row["timezone"]))
    return rows


def _signals(session: Session, ctx: Context) -> list[dict[str, Any]]:
    found = evaluate(reports.health_inputs(session, now=ctx.now()), ctx.settings.health_thresholds())
    return [
        {"customer_id": s.customer_id, "customer": s.name, "signal": s.signal, "detail": s.detail}
        for s in found
    ]


def fleet(session: Session, params: Params, ctx: Context) -> dict[str, Any]:
    everyone = web_queries.customers(session)
    runs = web_queries.last_runs(session, customer_ids=[c.id for c in everyone])
    clones, waiting = web_queries.clone_totals(session), web_queries.waiting_counts(session)
    signals = _signals(session, ctx)
    return {
        "customers": [
            {
                "id": c.id,
                "name": c.name,
                "mode": c.mode,
                "enabled": c.enabled,
                "timezone": c.timezone,
                "last_runs": runs.get(c.id, []),
                "clones": clones.get(c.id, {"counted": 0, "uncounted": 0}),
                "waiting_proposals": waiting.get(c.id, 0),
                "signals": [s for s in signals if s["customer_id"] == c.id],
            }
            for c in everyone
        ]
    }


def customer_page(session: Session, params: Params, ctx: Context, customer_id: int) -> dict[str, Any]:
    found = web_queries.customer(session, customer_id=customer_id)
    if found is None:
        raise NotFound(f"no customer {customer_id}")
    zone = ZoneInfo(found.timezone)
    day = _local_date(session, params, found.id, zone, ctx)
    start, end = when.day_bounds(day, found.timezone)
    query = DecisionQuery(customer_id=found.id, since=start, until=end)
    page = web_queries.decision_page(session, query=query, before=_int(params, "before"), limit=ctx.page_size)
    edges = web_queries.day_edges(session, customer_id=found.id, start=start, end=end)
    return {
        "customer": {"id": found.id, "name": found.name, "timezone": found.timezone, "mode": found.mode},
        "date": day,
        "previous_date": edges["earlier"].astimezone(zone).date() if edges["earlier"] else None,
        "next_date": edges["later"].astimezone(zone).date() if edges["later"] else None,
        "decisions": _decorate(page.rows),
        "next_before": page.next_before,
    }


def _local_date(session: Session, params: Params, customer_id: int, zone: ZoneInfo, ctx: Context) -> date:
    today = ctx.now().astimezone(zone).date()
    if _text(params, "date"):
        return when.local_day("date", params["date"], today=today)
    latest = web_queries.latest_decision_at(session, customer_id=customer_id)
    return latest.astimezone(zone).date() if latest else today


def decision_query(session: Session, params: Params, now: datetime) -> DecisionQuery:
    """`agent decisions`' filters, from the page's query string."""
    ref = _text(params, "customer")
    since, until = _text(params, "since"), _text(params, "until")
    loop, action, reason = _text(params, "loop"), _text(params, "action"), _text(params, "reason")
    return DecisionQuery(
        customer_id=customers.find(session, ref=ref).id if ref else None,
        loop=choices.loop(loop) if loop else None,
        action=choices.action(action) if action else None,
        reason=choices.reason(reason) if reason else None,
        subject=_text(params, "subject"),
        run_id=_int(params, "run"),
        since=when.instant("since", since, now=now) if since else None,
        until=when.instant("until", until, now=now, end_of_day=True) if until else None,
    )


def decision_list(session: Session, params: Params, ctx: Context) -> dict[str, Any]:
    try:
        query = decision_query(session, params, ctx.now())
    except customers.CustomerNotFound as missing:
        raise BadInput(str(missing)) from None
    page = web_queries.decision_page(session, query=query, before=_int(params, "before"), limit=ctx.page_size)
    shown = {k: v for k, v in params.items() if k != "before" and v}
    return {"filters": shown, "decisions": _decorate(page.rows), "next_before": page.next_before}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested evidence as (dotted field, value) rows for a table."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, Any]] = []
        for key, inner in value.items():
            rows.extend(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return [row for i, inner in enumerate(value) for row in flatten(inner, f"{prefix}[{i}]")]
    return [(prefix, value)]


def decision_page(session: Session, params: Params, ctx: Context, decision_id: int) -> dict[str, Any]:
    try:
        found = reports.explanation(session, decision_id=decision_id)
    except LookupError:
        raise NotFound(f"no decision {decision_id}") from None
    d, clone, job, approval = found.decision, found.clone, found.job, found.approval
    evidence = decisions.evidence_of(d)
    return {
        "decision": {
            "id": d.id,
            "created_at": d.created_at,
            "customer_id": d.customer_id,
            "customer": found.customer.name,
            "loop": d.loop,
            "action": d.action,
            "reason": d.reason,
            "subject_type": d.subject_type,
            "subject_id": d.subject_id,
            "actor": d.actor,
            "run_id": d.run_id,
            "parent_id": d.parent_id,
            "rule_version": d.rule_version,
        },
        "explanation": explanations.sentences(found, evidence),
        "evidence": [{"field": k, "value": v} for k, v in flatten(d.evidence)],
        "clone": _columns(
            clone, "container_id slot status approval_status source_post_id error_code error_message"
        ),
        "job": _columns(job, "job_id status stage finished_at error_code error_message"),
        "approval": _columns(approval, "kind method path body status decided_by decided_at note executed_at"),
        "followups": _decorate(web_queries.followups(session, decision_id=d.id)),
        "notifications": web_queries.notifications_of(session, decision_id=d.id),
    }


def _columns(row: Any, names: str) -> dict[str, Any] | None:
    return None if row is None else {name: getattr(row, name) for name in names.split()}


def lineage(session: Session, params: Params, ctx: Context, source_post_id: str) -> dict[str, Any]:
    clones = web_queries.lineage(session, source_post_id=source_post_id)
    if not clones:
        raise NotFound(f"no clone of {source_post_id}")
    return {"source_post_id": source_post_id, "clones": clones}


def job_page(session: Session, params: Params, ctx: Context, job_id: str) -> dict[str, Any]:
    found = web_queries.job(session, job_id=job_id)
    if found is None:
        raise NotFound(f"no job {job_id}")
    return {"job": found}


def proposals(session: Session, params: Params, ctx: Context) -> dict[str, Any]:
    ref = _text(params, "customer")
    customer_id = customers.find(session, ref=ref).id if ref else None
    page = web_queries.proposal_page(
        session, customer_id=customer_id, before=_int(params, "before"), limit=ctx.page_size
    )
    # the same diff as `agent pending`: the body against the resource as Layers has it now
    compared = compare(ctx.settings, ((r["id"], r["method"], r["path"], r["body"]) for r in page.rows))
    for row in page.rows:
        comparison = compared[row["id"]]
        row["changes"] = [change.as_json() for change in comparison.changes]
        row["current_known"], row["note"] = comparison.current_known, comparison.note
        row["diff_heading"] = heading(current_known=comparison.current_known)
        row["diff"] = comparison.lines
    return {"proposals": page.rows, "next_before": page.next_before}


def runs(session: Session, params: Params, ctx: Context) -> dict[str, Any]:
    ref, loop, status = _text(params, "customer"), _text(params, "loop"), _text(params, "status")
    page = web_queries.run_page(
        session,
        customer_id=customers.find(session, ref=ref).id if ref else None,
        loop=choices.loop(loop) if loop else None,
        status=status,
        before=_int(params, "before"),
        limit=ctx.page_size,
    )
    attempts = run_attempts.of_runs(session, run_ids=[row["id"] for row in page.rows])
    for row in page.rows:
        row["attempt_log"] = [
            _columns(a, "attempt started_at ended_at outcome error") for a in attempts.get(row["id"], [])
        ]
    return {"runs": page.rows, "next_before": page.next_before}


def health(session: Session, params: Params, ctx: Context) -> dict[str, Any]:
    page = web_queries.signal_page(session, before=_int(params, "before"), limit=ctx.page_size)
    return {"crossed_now": _signals(session, ctx), "history": page.rows, "next_before": page.next_before}
