"""`agent decisions`: the decision table, filtered the ways ops ask about it, as a table or JSON lines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.integration.ops.story import ACME_LATTE
from tests.integration.ops.tables import table_row


def ids_of(invoke, *args: str) -> list[int]:
    result = invoke("decisions", "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_all_decisions_come_newest_first(cli, story):
    assert ids_of(cli) == list(story.newest_first)
    assert len(story.newest_first) == 12


@pytest.mark.parametrize("ref", ["id", "Acme Coffee", "crm-0042", "prj_acme_coffee"])
def test_customer_is_found_by_id_name_external_id_or_project_id(cli, story, ref):
    ref = str(story.acme) if ref == "id" else ref
    found = ids_of(cli, "--customer", ref)
    assert set(found) == story.acme_ids()
    assert found[-1] == story.acme_no_data  # the oldest comes last


def test_an_unknown_customer_is_a_one_line_error(cli, story):
    result = cli("decisions", "--customer", "Globex Roasters")
    assert result.exit_code == 2
    assert "no customer matches 'Globex Roasters'" in result.stderr
    assert "Traceback" not in result.output


def test_loop_filter_accepts_either_spelling(cli, story):
    optimization = ids_of(cli, "--loop", "optimization")
    assert set(optimization) == {
        story.northwind_flag,
        story.northwind_pending,
        story.northwind_executed,
        story.northwind_approved_by_maria,
        story.northwind_execution,
    }
    publish = ids_of(cli, "--loop", "publish-to-learn")
    assert publish == ids_of(cli, "--loop", "publish_to_learn")
    assert set(publish) == set(story.newest_first) - set(optimization)


def test_action_reason_and_subject_filters(cli, story):
    assert set(ids_of(cli, "--action", "clone")) == {
        story.acme_clone,
        story.harbor_failed_clone,
        story.harbor_retry,
    }
    assert ids_of(cli, "--reason", "not_breakout") == [story.acme_not_breakout]
    assert ids_of(cli, "--reason", "clone_cap_reached") == [story.harbor_cap]
    assert ids_of(cli, "--subject", ACME_LATTE) == [story.acme_clone]
    assert ids_of(cli, "--action", "clone", "--customer", "Harbor Books", "--limit", "1") == [
        story.harbor_retry
    ]
    assert ids_of(cli, "--action", "commission") == []


def test_since_takes_a_relative_window_or_a_date(cli, story):
    assert set(ids_of(cli, "--since", "7d")) == set(story.newest_first) - {story.acme_no_data}
    three_days_ago = (story.now - timedelta(days=3)).date().isoformat()
    assert set(ids_of(cli, "--since", three_days_ago)) == set(story.newest_first) - {
        story.acme_no_data,
        story.acme_insufficient,
    }
    assert set(ids_of(cli, "--since", "5d", "--customer", "Acme Coffee")) == {
        story.acme_insufficient,
        story.acme_clone,
        story.acme_not_breakout,
    }


def test_a_bad_since_is_rejected_with_the_accepted_forms(cli, story):
    result = cli("decisions", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "use 7d, 24h, 30m or a date" in result.stderr


def test_limit_keeps_the_newest(cli, story):
    assert ids_of(cli, "--limit", "2") == list(story.newest_first[:2])
    assert cli("decisions", "--limit", "0").exit_code == 2  # min=1


def test_json_is_one_object_per_line_with_the_evidence(cli, story):
    result = cli("decisions", "--json", "--customer", "Acme Coffee")
    assert result.exit_code == 0
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 4
    rows = [json.loads(line) for line in lines]
    assert all(row["customer"] == "Acme Coffee" and row["customer_id"] == story.acme for row in rows)
    created = [datetime.fromisoformat(row["created_at"]) for row in rows]
    assert created == sorted(created, reverse=True)
    (clone,) = (row for row in rows if row["id"] == story.acme_clone)
    assert (clone["loop"], clone["action"], clone["reason"]) == ("publish_to_learn", "clone", "breakout")
    assert (clone["subject_type"], clone["subject_id"]) == ("platform_post", ACME_LATTE)
    assert clone["run_id"] == story.acme_run
    assert clone["rule_version"] == "ptl-v1+3f9c2a"
    assert clone["evidence"]["engagement_rate"] == 0.091
    assert clone["evidence"]["clone_number"] == 2
    assert clone["evidence"]["thresholds"]["max_clones_per_source"] == 5


def test_json_with_nothing_found_prints_nothing(cli, story):
    result = cli("decisions", "--json", "--customer", "Northwind Fitness", "--action", "clone")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_the_default_is_a_table_with_names_and_key_evidence(cli, story):
    result = cli("decisions", "--customer", "Acme Coffee")
    assert result.exit_code == 0
    out = result.stdout
    assert "decisions" in out.splitlines()[0]
    clone_row = table_row(out, str(story.acme_clone))
    for cell in (ACME_LATTE, "Acme Coffee", "publish_to_learn", "clone", "breakout", f"{story.now:%Y-%m-%d}"):
        assert cell in clone_row
    for evidence in ("engagement_rate=0.091", "median_engagement_rate=0.035", "views=4210", "clone_number=2"):
        assert evidence in clone_row
    assert "views=1830" in table_row(out, str(story.acme_not_breakout))
    old_row = table_row(out, str(story.acme_no_data))
    assert "no_performance_data" in old_row
    assert f"{story.now - timedelta(days=10):%Y-%m-%d}" in old_row
    # newest first in the table too
    assert out.index(ACME_LATTE) < out.index("insufficient_data") < out.index("no_performance_data")
    assert "Northwind" not in out
