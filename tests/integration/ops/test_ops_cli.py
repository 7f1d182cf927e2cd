"""`agent clones`, `agent runs` and `agent pending`: what ops check every morning."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from agent.domain.decisions import Subject
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType
from agent.store import customers, runs
from tests.integration.ops.story import ACME_LATTE, HARBOR_UNBOXING, RUN_ERROR
from tests.integration.ops.tables import first_cells, table_row
from tests.support import builders as b


def test_clones_counts_per_source_and_marks_the_cap(cli, story):
    result = cli("clones")
    assert result.exit_code == 0
    harbor = table_row(result.stdout, "Harbor Books")
    assert [cell.strip() for cell in harbor.split("│")[2:6]] == [HARBOR_UNBOXING, "5", "1", "reached"]
    acme = table_row(result.stdout, "Acme Coffee")
    assert [cell.strip() for cell in acme.split("│")[2:6]] == [ACME_LATTE, "2", "0", "2/5"]


def test_clones_filters_by_customer_and_by_source(cli, story):
    by_customer = cli("clones", "--customer", "crm-0042").stdout
    assert ACME_LATTE in by_customer
    assert HARBOR_UNBOXING not in by_customer
    by_source = cli("clones", "--source", HARBOR_UNBOXING).stdout
    assert HARBOR_UNBOXING in by_source
    assert ACME_LATTE not in by_source
    assert "reached" in by_source
    nothing = cli("clones", "--customer", "Northwind Fitness").stdout
    assert "Northwind" not in nothing
    assert cli("clones", "--customer", "nobody").exit_code == 2


def test_runs_show_status_duration_and_error(cli, story):
    result = cli("runs")
    assert result.exit_code == 0
    out = result.stdout
    acme = [c.strip() for c in table_row(out, str(story.acme_run)).split("│")]
    assert acme[2:9] == [
        "Acme Coffee",
        "publish_to_learn",
        f"{story.now - timedelta(hours=2):%Y-%m-%d}",
        "succeeded",
        "1",
        "42.5s",
        "",
    ]
    northwind = table_row(out, str(story.northwind_run))
    assert "failed" in northwind
    assert "3.0s" in northwind
    # the redaction marker survives the table (Rich would read "[redacted]" as markup)
    assert RUN_ERROR in " ".join(northwind.split())
    harbor = [c.strip() for c in table_row(out, str(story.harbor_run)).split("│")]
    assert (harbor[5], harbor[7]) == ("queued", "-")
    # newest first
    assert out.index("Harbor Books") < out.index("Northwind Fitness") < out.index("Acme Coffee")


def test_runs_filter_by_customer_and_loop(cli, story):
    optimization = cli("runs", "--loop", "optimization").stdout
    assert "Northwind Fitness" in optimization
    assert "Acme Coffee" not in optimization
    acme = cli("runs", "--customer", str(story.acme)).stdout
    assert "Acme Coffee" in acme
    assert "Harbor Books" not in acme


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
    assert first_cells(out) == [str(story.northwind_pending), str(extra["approved"])]
    waiting = table_row(out, str(story.northwind_pending))
    for cell in (
        "Northwind Fitness",
        "value_propositions",
        "PATCH /v1/projects/prj_northwind_fit/value-propositions",
    ):
        assert cell in waiting
    assert waiting.split("│")[-2].strip() == "pending"
    assert table_row(out, str(extra["approved"])).split("│")[-2].strip() == "approved"
    only_northwind = cli("pending", "--customer", "Northwind Fitness").stdout
    assert first_cells(only_northwind) == [str(story.northwind_pending)]


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
    for command in ("decisions", "runs", "clones"):
        result = cli(command)
        assert result.exit_code == 0, result.output
        assert "[staging] Acme Coffee" in result.stdout, command
