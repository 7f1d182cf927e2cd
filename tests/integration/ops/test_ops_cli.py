"""`agent clones`, `agent runs` and `agent pending`: what ops check every morning."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from agent.domain.decisions import Subject
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType
from agent.store import customers, runs
from tests.integration.ops.story import ACME_LATTE, HARBOR_UNBOXING, RUN_ERROR
from tests.support import builders as b


def cells(line: str) -> list[str]:
    return [cell for cell in line.split("  ") if cell.strip()]


def row_of(output: str, first: str) -> str:
    """The table's row of `first` (a section under the table, such as the lineage, is not the table)."""
    table = output.split("\n\n", 1)[0]
    (line,) = (
        line for line in table.splitlines() if line.strip().startswith(f"{first} ") or line.strip() == first
    )
    return line


def test_clones_counts_per_source_and_marks_the_cap(cli, story):
    result = cli("clones")
    assert result.exit_code == 0
    harbor = [c.strip() for c in cells(row_of(result.stdout, "Harbor Books"))]
    assert harbor[:5] == ["Harbor Books", HARBOR_UNBOXING, "5", "1", "reached"]
    acme = [c.strip() for c in cells(row_of(result.stdout, "Acme Coffee"))]
    assert acme[:5] == ["Acme Coffee", ACME_LATTE, "2", "0", "2/5"]
    rows = [json.loads(line) for line in cli("clones", "--format", "json").stdout.splitlines()]
    assert {(r["customer"], r["counted"], r["cap_reached"]) for r in rows} == {
        ("Harbor Books", 5, True),
        ("Acme Coffee", 2, False),
    }


def test_clones_filters_by_customer_and_by_source(cli, story):
    by_customer = cli("clones", "--customer", "crm-0042").stdout
    assert ACME_LATTE in by_customer
    assert HARBOR_UNBOXING not in by_customer
    by_source = cli("clones", "--source", HARBOR_UNBOXING).stdout
    assert HARBOR_UNBOXING in by_source
    assert ACME_LATTE not in by_source
    assert "reached" in by_source
    assert cli("clones", "--customer", "Northwind Fitness").stdout == "no clones match\n"
    assert cli("clones", "--customer", "nobody").exit_code == 2


def test_runs_show_trigger_times_attempts_and_every_attempts_error(cli, story):
    result = cli("runs")
    assert result.exit_code == 0
    out = result.stdout
    assert out.splitlines()[0] == "runs: 3"
    started = story.now - timedelta(hours=2)
    acme = [c.strip() for c in cells(row_of(out, str(story.acme_run)))]
    assert acme[:8] == [
        str(story.acme_run),
        "Acme Coffee",
        "publish-to-learn",
        f"{started:%Y-%m-%d}",
        "schedule",
        "succeeded",
        "1/5",
        f"{started:%m-%d %H:%M}",
    ]
    northwind = row_of(out, str(story.northwind_run))
    assert "failed" in northwind
    assert "3/5" in northwind
    # under the run, each attempt that failed, with its error (Rich would have read "[redacted]" as markup)
    tail = out[out.index(northwind) :].splitlines()[1:4]
    assert [line.split()[:3] for line in tail] == [
        ["attempt", "1", "deferred"],
        ["attempt", "2", "deferred"],
        ["attempt", "3", "failed"],
    ]
    assert all(line.endswith(RUN_ERROR) for line in tail)
    harbor = [c.strip() for c in cells(row_of(out, str(story.harbor_run)))]
    assert harbor[5] == "queued"
    # newest first
    assert out.index("Harbor Books") < out.index("Northwind Fitness") < out.index("Acme Coffee")
    rows = {r["id"]: r for r in map(json.loads, cli("runs", "--format", "json").stdout.splitlines())}
    history = rows[story.northwind_run]["attempt_history"]
    assert [(a["attempt"], a["outcome"], a["error"]) for a in history] == [
        (1, "deferred", RUN_ERROR),
        (2, "deferred", RUN_ERROR),
        (3, "failed", RUN_ERROR),
    ]
    assert rows[story.acme_run]["duration_s"] == 42.5
    assert rows[story.acme_run]["trigger"] == "schedule"


def test_runs_filter_by_customer_loop_and_status(cli, story):
    optimization = cli("runs", "--loop", "optimization").stdout
    assert "Northwind Fitness" in optimization
    assert "Acme Coffee" not in optimization
    acme = cli("runs", "--customer", str(story.acme)).stdout
    assert "Acme Coffee" in acme
    assert "Harbor Books" not in acme
    failed = [
        json.loads(line)["id"]
        for line in cli("runs", "--status", "failed", "--format", "json").stdout.splitlines()
    ]
    assert failed == [story.northwind_run]
    assert cli("runs", "--status", "broken").exit_code == 2
    assert (
        cli("runs", "--limit", "1").stdout.splitlines()[0] == "runs: showing 1 of 3 (raise --limit for more)"
    )


def acme_rewrite(session: Session, customer_id: int, action: Action, reason: Reason, *, now: datetime) -> int:
    """A value-propositions rewrite proposed for Acme: auto-approved (`act`) or held for consent."""
    path, recommendation = "/v1/projects/prj_acme_coffee/value-propositions", f"rec_acme_vp_{action}"
    decision = b.decision(
        session,
        customer_id=customer_id,
        loop=LoopName.OPTIMIZATION,
        action=action,
        reason=reason,
        subject=Subject(SubjectType.RECOMMENDATION, recommendation),
        evidence=b.triage(
            recommendation_id=recommendation,
            confidence=0.8,
            method="PATCH",
            endpoint=path,
            subject_id="prj_acme_coffee",
        ),
    )
    b.propose(
        session,
        decision_id=decision,
        kind="value_propositions",
        method="PATCH",
        path=path,
        now=now,
        auto_approved=action is Action.ACT,
    )
    return decision


def test_pending_lists_what_waits_for_consent_or_for_execution(cli, story, db):
    now = datetime.now(UTC)
    with db.session() as session:
        extra = {
            "approved": acme_rewrite(
                session, story.acme, Action.ACT, Reason.AUTO_APPROVED_BY_POLICY, now=now
            ),
            "rejected": acme_rewrite(
                session, story.acme, Action.PENDING_APPROVAL, Reason.CHANGES_BRAND_CONFIGURATION, now=now
            ),
        }
        b.reject(session, decision_id=extra["rejected"], by="sam@acme.example", at=now)
    result = cli("pending")
    assert result.exit_code == 0
    out = result.stdout
    # waiting for the customer, and approved by policy but not executed yet; not rejected, not executed
    heads = [line for line in out.splitlines() if line.startswith("proposal ")]
    assert [int(line.split()[1]) for line in heads] == [story.northwind_pending, extra["approved"]]
    assert heads[0].startswith(
        f"proposal {story.northwind_pending} · Northwind Fitness · value_propositions · waiting for approval"
    )
    assert "  PATCH /v1/projects/prj_northwind_fit/value-propositions" in out
    assert '      + ["Spin classes at 6am", "First week free"]' in out
    assert f"  approve: agent approve {story.northwind_pending} --by NAME" in out
    assert "approved, waiting to execute" in heads[1]
    rows = [json.loads(line) for line in cli("pending", "--format", "json").stdout.splitlines()]
    assert [r["decision_id"] for r in rows] == [story.northwind_pending, extra["approved"]]
    assert rows[0]["changes"] == [
        {"field": "valuePropositions", "current": None, "current_known": False,
         "proposed": ["Spin classes at 6am", "First week free"]}
    ]  # fmt: skip
    only_northwind = [
        json.loads(line)["decision_id"]
        for line in cli("pending", "--customer", "Northwind Fitness", "--format", "json").stdout.splitlines()
    ]
    assert only_northwind == [story.northwind_pending]
    assert (
        cli("pending", "--customer", "Harbor Books").stdout == "no proposals are waiting for Harbor Books\n"
    )


def test_a_bracketed_customer_name_is_shown_as_typed(cli, db):
    """Rich reads "[staging]" as a style tag and would print " Acme Coffee" in every table."""
    with db.session() as session:
        customer = customers.add(
            session, layers_project_id="prj_acme_staging", name="[staging] Acme Coffee", timezone="UTC"
        )
        loop = LoopName.PUBLISH_TO_LEARN
        run_id = runs.ensure(session, customer_id=customer.id, loop=loop, local_date=date(2026, 11, 27)).id
        b.decision(
            session,
            customer_id=customer.id,
            run_id=run_id,
            loop=loop,
            action=Action.SKIP,
            reason=Reason.NO_PERFORMANCE_DATA,
            subject=Subject(SubjectType.CUSTOMER, "prj_acme_staging"),
            evidence=b.summary(posts_seen=0, posts_eligible=0, skipped=Reason.NO_PERFORMANCE_DATA),
        )
        b.reserve_clone(session, customer_id=customer.id, source_post_id="pp_staging_1", run_id=run_id)
    for command in ("decisions", "runs", "clones", "customers list"):
        result = cli(*command.split())
        assert result.exit_code == 0, result.output
        assert "[staging] Acme Coffee" in result.stdout, command
