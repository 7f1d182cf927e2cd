"""`agent why POST`: why a post was (or was not) cloned, for any post and any day a run saw it.

Every publish-to-learn run keeps what it saw (`run_inputs`): each post with the numbers the rules used
and its verdict. Replaying the pure rule on that record gives the day's median, so the answer carries
the same numbers and the same sentence `agent explain` would, even for a post no decision was about.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli import context, when
from agent.cli.exits import BadInput
from agent.cli.output import Format, ListFormat, emit_list

if TYPE_CHECKING:
    from agent.store.post_history import Seen

DEFAULT_DAYS = 30
COLUMNS = (
    "local_date", "customer", "customer_id", "run_id", "rule_version", "post_id", "title", "rank", "views",
    "engagement_rate", "median_engagement_rate", "ratio_to_median", "excluded", "verdict", "why",
    "decision_id", "thresholds",
)  # fmt: skip


def why(
    post: Annotated[str, typer.Argument(help="The post's platform post id, prefixed (pp_…) or bare")],
    customer: Annotated[str | None, typer.Option(help="Name, external id, project id or id")] = None,
    since: Annotated[
        str | None,
        typer.Option(help=f"From this local date (today, yesterday, YYYY-MM-DD, 7d…; {DEFAULT_DAYS}d)"),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to this local date (same forms)")] = None,
    local_date: Annotated[
        str | None, typer.Option("--local-date", help="Only this local date of the customer's")
    ] = None,
    run: Annotated[int | None, typer.Option("--run", help="Only this run")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many days, newest first")] = 50,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Why a post was or was not cloned: its numbers, the median and the verdict of every run that saw it."""
    from agent.store import customers, post_history

    now = datetime.now(UTC)
    today = now.date()
    first = _day("--since", since, now) if since else None
    last = _day("--until", until, now) if until else None
    if local_date:
        first = last = when.local_day("--local-date", local_date, today=today)
    if first is None and last is None and run is None:
        first = today - timedelta(days=DEFAULT_DAYS)
    with context.reading() as session:
        customer_id = customers.find(session, ref=customer).id if customer else None
        seen = post_history.runs_that_saw(
            session, post=post, customer_id=customer_id, since=first, until=last, run_id=run
        )
    rows = [row for row in (_answer(s, post) for s in seen) if row is not None]
    total, rows = len(rows), rows[:limit]
    if total > len(rows):
        typer.echo(
            f"showing {len(rows)} of {total} days (raise --limit for more)", err=fmt is not Format.TABLE
        )
    window = f"since {first}" if first and not last else f"from {first} to {last}" if first else "in any day"

    def table() -> None:
        head = rows[0]
        typer.echo(f"{head['post_id']}" + (f" ({head['title']})" if head["title"] else ""))
        for row in rows:
            typer.echo(_line(row))

    emit_list(rows, fmt, columns=COLUMNS, table=table, empty=f"no run saw {post} {window}")


def _day(option: str, value: str, now: datetime) -> date:
    """A day as a date, or a relative window (7d) counted back from today."""
    try:
        return when.local_day(option, value, today=now.date())
    except BadInput:
        return when.instant(option, value, now=now).date()


def _answer(seen: Seen, post: str) -> dict[str, Any] | None:
    """The post's row in the run's record, with the day's median and the verdict in plain words."""
    from agent.domain.evidence import PostThresholds, PostVerdict
    from agent.domain.ids import same_id
    from agent.explanations import WHY
    from agent.rules.backtest import recorded_thresholds
    from agent.rules.publish import evaluate_publish, replay_posts

    row = next((p for p in seen.record.posts if same_id(p.post_id, post)), None)
    if row is None:
        return None
    thresholds = recorded_thresholds(seen.record)
    plan = evaluate_publish(
        replay_posts(seen.record), seen.record.clone_counts, thresholds, seen.record.outcomes
    )
    median = plan.summary.median_engagement_rate
    ratio = row.engagement_rate / median if median and row.engagement_rate is not None else None
    sentence = None
    if row.verdict is not None:
        verdict = PostVerdict(
            title=row.title,
            rank=row.rank,
            engagement_rate=row.engagement_rate or 0.0,
            median_engagement_rate=median or 0.0,
            ratio_to_median=ratio,
            views=row.views or 0,
            thresholds=PostThresholds(
                thresholds.breakout_multiple,
                thresholds.min_engagement,
                thresholds.min_views,
                thresholds.max_clones_per_source,
            ),
            clone_count=seen.record.clone_counts.get(row.post_id or "", 0),
            clone_number=None,
        )
        sentence = WHY[row.verdict](verdict)
    return {
        "local_date": seen.local_date,
        "customer": seen.customer,
        "customer_id": seen.customer_id,
        "run_id": seen.run_id,
        "rule_version": seen.rule_version,
        "post_id": row.post_id,
        "title": row.title,
        "rank": row.rank,
        "views": row.views,
        "engagement_rate": row.engagement_rate,
        "median_engagement_rate": median,
        "ratio_to_median": ratio,
        "excluded": row.excluded,
        "verdict": row.verdict.value if row.verdict else None,
        "why": sentence,
        "decision_id": seen.decision_id,
        "thresholds": {
            "breakout_multiple": thresholds.breakout_multiple,
            "min_engagement": thresholds.min_engagement,
            "min_views": thresholds.min_views,
        },
    }


def _line(row: dict[str, Any]) -> str:
    numbers = [f"rank {row['rank']}" if row["rank"] else None, f"{row['views']} views"]
    if row["engagement_rate"] is not None:
        ratio = (
            f", {row['ratio_to_median']:.1f}x the median {row['median_engagement_rate']:.3f}"
            if row["ratio_to_median"]
            else ""
        )
        numbers.append(f"engagement {row['engagement_rate']:.3f}{ratio}")
    decided = f"; decision {row['decision_id']}" if row["decision_id"] else ""
    verdict = row["verdict"] or "not judged (no organic numbers)"
    because = f" Why: {row['why']}." if row["why"] else ""
    excluded = " Excluded by its ads-content override." if row["excluded"] else ""
    return (
        f"{row['local_date']} {row['customer']} (run {row['run_id']}{decided}): {verdict}; "
        + ", ".join(n for n in numbers if n)
        + f".{because}{excluded}"
    )
