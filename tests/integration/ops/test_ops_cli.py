"""`agent clones`, `agent runs` and `agent pending`: what ops check every morning."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from agent.store import clones, customers
from agent.store.decisions import NewDecision, record
from agent.store.models import Approval, Run
from tests.integration.ops.conftest import ACME_LATTE, HARBOR_UNBOXING, RUN_ERROR, first_cells, table_row


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


def test_pending_lists_what_waits_for_consent_or_for_execution(cli, story, db):
    extra = {}
    with db.session() as session:
        for status in ("approved", "rejected"):
            decision = record(
                session,
                NewDecision(
                    customer_id=story.acme,
                    loop="optimization",
                    action="pending_approval",
                    reason="changes_brand_configuration",
                    subject_type="recommendation",
                    subject_id=f"rec_acme_vp_{status}",
                ),
            )
            session.add(
                Approval(
                    decision_id=decision.id,
                    customer_id=story.acme,
                    kind="value_propositions",
                    method="PATCH",
                    path="/v1/projects/prj_acme_coffee/value-propositions",
                    idempotency_key=str(uuid.uuid4()),
                    status=status,
                    decided_by="policy" if status == "approved" else "sam@acme.example",
                )
            )
            extra[status] = decision.id
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
        run = Run(
            customer_id=customer.id, loop="publish_to_learn", local_date=date(2026, 11, 27), status="pending"
        )
        session.add(run)
        session.flush()
        record(
            session,
            NewDecision(
                customer_id=customer.id,
                run_id=run.id,
                loop="publish_to_learn",
                action="skip",
                reason="no_performance_data",
                subject_type="project",
                subject_id="prj_acme_staging",
            ),
        )
        clones.reserve(
            session,
            customer_id=customer.id,
            run_id=run.id,
            decision_id=None,
            source_post_id="pp_staging_1",
            mode="fork",
            variations=2,
            origin="prior",
        )
    for command in ("decisions", "runs", "clones"):
        result = cli(command)
        assert result.exit_code == 0, result.output
        assert "[staging] Acme Coffee" in result.stdout, command
