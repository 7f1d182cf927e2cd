"""`agent runs`, `agent clones`: what ops check every morning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli import context
from agent.cli.output import Format, ListFormat, emit_list

if TYPE_CHECKING:
    from agent.store.models import Run, RunAttempt

CustomerOption = Annotated[str | None, typer.Option(help="Name, external id, project id or id")]
RUN_COLUMNS = (
    "id", "customer", "loop", "local_date", "trigger", "status", "attempts", "max_attempts", "created_at",
    "started_at", "finished_at", "duration_s", "error", "attempt_history",
)  # fmt: skip
CLONE_COLUMNS = ("customer", "source_post_id", "counted", "uncounted", "cap", "cap_reached", "last_cloned_at")


def _attempts(attempts: list[RunAttempt]) -> list[dict[str, Any]]:
    return [
        {
            "attempt": a.attempt,
            "started_at": a.started_at,
            "ended_at": a.ended_at,
            "outcome": a.outcome,
            "error": a.error,
        }
        for a in attempts
    ]


def _run_row(run: Run, name: str, attempts: list[RunAttempt], max_attempts: int) -> dict[str, Any]:
    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
    return {
        "id": run.id,
        "customer": name,
        "loop": run.loop,
        "local_date": run.local_date,
        "trigger": run.trigger,
        "status": run.status,
        "attempts": run.attempts,
        "max_attempts": max_attempts,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": took,
        "error": run.error,
        "attempt_history": _attempts(attempts),
    }


def runs(
    customer: CustomerOption = None,
    loop: Annotated[str | None, typer.Option(help="publish-to-learn, optimization or weekly-review")] = None,
    status: Annotated[str | None, typer.Option(help="pending, queued, running, succeeded or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first")] = 50,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Runs, newest first: status, trigger, started and finished times, and every attempt's error."""
    from agent.cli.choices import one_of
    from agent.domain.vocabulary import LoopName, RunStatus, values
    from agent.store import customers, reports, run_attempts

    max_attempts = context.settings().task_max_attempts
    with context.reading() as session:
        customer_id = customers.find(session, ref=customer).id if customer else None
        found, total = reports.runs(
            session,
            customer_id=customer_id,
            loop=one_of("--loop", loop.strip().replace("-", "_"), values(LoopName)) if loop else None,
            status=one_of("--status", status.strip(), values(RunStatus)) if status else None,
            limit=limit,
        )
        history = run_attempts.of_runs(session, run_ids=[run.id for run, _ in found])
        rows = [_run_row(run, name, history.get(run.id, []), max_attempts) for run, name in found]
    shown = f"showing {len(rows)} of {total} (raise --limit for more)" if total > len(rows) else ""
    if shown and fmt is not Format.TABLE:
        typer.echo(shown, err=True)

    def table() -> None:
        typer.echo(f"runs: {shown}" if shown else f"runs: {total}")
        for line in _run_lines(rows):
            typer.echo(line)

    emit_list(rows, fmt, columns=RUN_COLUMNS, table=table, empty="no runs match")


def _when(value: Any) -> str:
    return f"{value:%m-%d %H:%M}" if value is not None else "-"


def _run_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per run; under it, every earlier attempt that ended with an error."""
    from agent.cli.layout import Column, render

    def cells(make: Any) -> list[str]:
        return [make(row) for row in rows]

    columns = [
        Column("run", cells(lambda r: str(r["id"])), 0, right=True),
        Column("customer", cells(lambda r: r["customer"]), 5, flexible=True),
        Column("loop", cells(lambda r: r["loop"].replace("_", "-")), 4),
        Column("local date", cells(lambda r: str(r["local_date"])), 3),
        Column("trigger", cells(lambda r: r["trigger"]), 8),
        Column("status", cells(lambda r: r["status"]), 1),
        Column("attempts", cells(lambda r: f"{r['attempts']}/{r['max_attempts']}"), 2, right=True),
        Column("started (UTC)", cells(lambda r: _when(r["started_at"])), 6),
        Column("finished", cells(lambda r: _when(r["finished_at"])), 10),
        Column("took", cells(lambda r: f"{r['duration_s']:.1f}s" if r["duration_s"] is not None else "-"), 9),
        Column("error", cells(lambda r: r["error"] or ""), 7, flexible=True),
    ]
    lines = render(columns, context.width(), len(rows))
    table, caption = lines[: len(rows) + 2], lines[len(rows) + 2 :]
    out = table[:2]
    for row, line in zip(rows, table[2:], strict=True):
        out.append(line)
        for attempt in row["attempt_history"]:
            if attempt["error"] and attempt["outcome"] != "running":
                out.append(
                    f"      attempt {attempt['attempt']} {attempt['outcome']} "
                    f"(started {_when(attempt['started_at'])}): {' '.join(attempt['error'].split())}"
                )
    return out + caption


def clones(
    customer: CustomerOption = None,
    source: Annotated[str | None, typer.Option(help="Source platform post id, prefixed or bare")] = None,
    fmt: ListFormat = Format.TABLE,
) -> None:
    """Clone count per source post and its cap; each clone's lineage and each customer's hit rate."""
    from agent.cli import lineage as shown
    from agent.store import customers, lineage, reports

    cap = context.settings().max_clones_per_source
    with context.reading() as session:
        customer_id = customers.find(session, ref=customer).id if customer else None
        found = reports.clone_counts(session, customer_id=customer_id, source=source)
        # issue 15: review, schedule, publication and verdict of each clone, and the hit rates
        lines = lineage.clones(session, customer_id=customer_id, source=source)
        rates = lineage.hit_rates(session, window=context.settings().hit_rate_window, customer_id=customer_id)
    by_source = shown.rows(lines)
    rows: list[dict[str, Any]] = [
        {
            "customer": row.customer,
            "source_post_id": row.source_post_id,
            "counted": row.counted,
            "uncounted": row.uncounted,
            "cap": cap,
            "cap_reached": row.counted >= cap,
            "last_cloned_at": row.last_cloned_at,
            "lineage": by_source.get((row.customer, row.source_post_id), []),
        }
        for row in found
    ]

    def table() -> None:
        from agent.cli.layout import Column, render

        columns = [
            Column("customer", [r["customer"] for r in rows], 1, flexible=True),
            Column("source post", [r["source_post_id"] for r in rows], 0),
            Column("clones", [str(r["counted"]) for r in rows], 2, right=True),
            Column("failed/canceled", [str(r["uncounted"]) for r in rows], 3, right=True),
            Column("cap", ["reached" if r["cap_reached"] else f"{r['counted']}/{cap}" for r in rows], 4),
            Column("last cloned (UTC)", [_when(r["last_cloned_at"]) for r in rows], 5),
        ]
        for line in render(columns, context.width(), len(rows)):
            typer.echo(line)
        story = shown.lines(lines, rates)
        for line in ["", "lineage: clone, review, schedule, publication, verdict", *story] if story else []:
            typer.echo(line)

    emit_list(rows, fmt, columns=CLONE_COLUMNS, table=table, empty="no clones match")
