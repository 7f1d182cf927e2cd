"""`agent decisions`: the decision table, filtered the ways ops ask about it, as a table, JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.domain.decisions import Subject
from agent.domain.vocabulary import Action, LoopName, Reason, SubjectType
from tests.integration.ops.story import ACME_LATTE
from tests.support import builders as b

UUID = "7d2b5c1e-4a0f-4c3e-9b1d-0e8f6a2c4b71"


def ids_of(invoke, *args: str) -> list[int]:
    result = invoke("decisions", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def body_lines(output: str) -> list[str]:
    """The table's decision lines: after the heading, the column titles and their rule."""
    return [line for line in output.splitlines()[3:] if line and not line.startswith("(")]


def test_all_decisions_come_newest_first(cli, story):
    assert ids_of(cli) == list(story.newest_first)
    assert len(story.newest_first) == 12
    legacy = cli("decisions", "--json")  # the older spelling of --format json
    assert [json.loads(line)["id"] for line in legacy.stdout.splitlines()] == list(story.newest_first)


@pytest.mark.parametrize("ref", ["id", "Acme Coffee", "crm-0042", "prj_acme_coffee"])
def test_customer_is_found_by_id_name_external_id_or_project_id(cli, story, ref):
    ref = str(story.acme) if ref == "id" else ref
    found = ids_of(cli, "--customer", ref)
    assert set(found) == story.acme_ids()
    assert found[-1] == story.acme_no_data  # the oldest comes last


def test_an_unknown_customer_is_a_one_line_error(cli, story):
    result = cli("decisions", "--customer", "Globex Roasters")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: no customer matches 'Globex Roasters' (id, name, external id or project id)\n"
    )


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
    assert ids_of(cli, "--loop", "configuration") == []


@pytest.mark.parametrize(
    ("option", "typo", "hint"),
    [
        ("--action", "clon", "did you mean clone?"),
        ("--reason", "breakuot", "did you mean breakout or not_breakout?"),
        ("--loop", "publish-to-lean", "did you mean publish-to-learn?"),
    ],
)
def test_a_typo_in_a_filter_is_an_error_not_an_empty_table(cli, story, option, typo, hint):
    result = cli("decisions", option, typo)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: unknown {option} {typo!r}: {hint}\n"


def test_action_reason_subject_and_run_filters(cli, story):
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
    assert set(ids_of(cli, "--run", str(story.acme_run))) == {story.acme_clone, story.acme_not_breakout}


def test_a_bare_uuid_matches_its_prefixed_id(cli, story, db):
    with db.session() as session:
        prefixed = b.decision(
            session,
            customer_id=story.acme,
            loop=LoopName.PUBLISH_TO_LEARN,
            action=Action.SKIP,
            reason=Reason.NOT_BREAKOUT,
            subject=Subject(SubjectType.PLATFORM_POST, f"pp_{UUID}"),
            evidence=b.post_verdict(
                title="Oat milk", engagement=0.03, median=0.035, views=900, clone_count=0
            ),
        )
    assert ids_of(cli, "--subject", UUID) == [prefixed]
    assert ids_of(cli, "--subject", f"pp_{UUID}") == [prefixed]


def test_since_and_until_take_relative_windows_named_days_and_dates(cli, story):
    everything = set(story.newest_first)
    assert set(ids_of(cli, "--since", "7d")) == everything - {story.acme_no_data}
    assert set(ids_of(cli, "--since", "1w")) == everything - {story.acme_no_data}
    three_days_ago = (story.now - timedelta(days=3)).date().isoformat()
    assert set(ids_of(cli, "--since", three_days_ago)) == everything - {
        story.acme_no_data,
        story.acme_insufficient,
    }
    assert set(ids_of(cli, "--since", "5d", "--customer", "Acme Coffee")) == {
        story.acme_insufficient,
        story.acme_clone,
        story.acme_not_breakout,
    }
    assert set(ids_of(cli, "--until", "5d")) == {story.acme_no_data}
    yesterday = set(ids_of(cli, "--since", "yesterday"))
    assert story.acme_clone in yesterday
    assert story.acme_insufficient not in yesterday


def test_local_date_is_the_customers_own_day(cli, story):
    local_today = story.now.astimezone(ZoneInfo("America/New_York")).date()
    found = set(ids_of(cli, "--customer", "Acme Coffee", "--local-date", local_today.isoformat()))
    assert {story.acme_clone, story.acme_not_breakout} <= found
    assert story.acme_insufficient not in found
    four_days = (local_today - timedelta(days=4)).isoformat()
    assert ids_of(cli, "--customer", "Acme Coffee", "--local-date", four_days) == [story.acme_insufficient]
    assert cli("decisions", "--local-date", "next week").exit_code == 2


@pytest.mark.parametrize("window", ["last tuesday", "99999999d"])
def test_a_bad_window_is_one_line_with_the_accepted_forms(cli, story, window):
    result = cli("decisions", "--since", window)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: --since {window!r}")


def test_limit_keeps_the_newest_and_says_what_it_cut(cli, story):
    assert ids_of(cli, "--limit", "2") == list(story.newest_first[:2])
    machine = cli("decisions", "--format", "json", "--limit", "2")
    assert machine.stderr == "showing 2 of 12 (raise --limit for more)\n"
    table = cli("decisions", "--limit", "2")
    assert table.stdout.splitlines()[0] == "decisions: showing 2 of 12 (raise --limit for more)"
    assert len(body_lines(table.stdout)) == 2
    assert cli("decisions", "--limit", "0").exit_code == 2  # min=1


def test_json_is_one_object_per_line_with_the_evidence_and_the_outcome(cli, story):
    result = cli("decisions", "--format", "json", "--customer", "Acme Coffee")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.strip().split("\n")]
    assert len(rows) == 4
    assert all(row["customer"] == "Acme Coffee" and row["customer_id"] == story.acme for row in rows)
    created = [datetime.fromisoformat(row["created_at"]) for row in rows]
    assert created == sorted(created, reverse=True)
    (clone,) = (row for row in rows if row["id"] == story.acme_clone)
    assert (clone["loop"], clone["action"], clone["reason"]) == ("publish_to_learn", "clone", "breakout")
    assert (clone["subject_type"], clone["subject_id"]) == ("platform_post", ACME_LATTE)
    assert (clone["outcome"], clone["title"]) == ("in review", "Latte art in 15 seconds")
    assert clone["run_id"] == story.acme_run
    assert clone["rule_version"] == "ptl-v1+3f9c2a"
    assert clone["evidence"]["engagement_rate"] == 0.091
    assert clone["evidence"]["clone_number"] == 2


def test_csv_is_a_header_and_a_row_each(cli, story):
    result = cli("decisions", "--format", "csv", "--customer", "Northwind Fitness")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 5
    assert {row["outcome"] for row in rows if row["action"] == "pending_approval"} == {
        "needs approval",
        "executed",
    }
    assert json.loads(rows[0]["evidence"])  # nested values as JSON


def test_nothing_found(cli, story):
    machine = cli("decisions", "--format", "json", "--customer", "Northwind Fitness", "--action", "clone")
    assert (machine.exit_code, machine.stdout) == (0, "")
    table = cli("decisions", "--customer", "Northwind Fitness", "--action", "clone")
    assert table.stdout == "no decisions match these filters\n"


def test_the_table_is_one_line_per_decision_with_names_titles_and_outcomes(cli, story):
    result = cli("decisions", "--customer", "Acme Coffee")
    assert result.exit_code == 0
    out = result.stdout
    assert out.splitlines()[0] == "decisions of Acme Coffee: 4"
    lines = body_lines(out)
    assert [int(line.split()[0]) for line in lines] == [
        i for i in story.newest_first if i in story.acme_ids()
    ]
    (clone,) = (line for line in lines if line.split()[0] == str(story.acme_clone))
    for cell in ("ptl", "clone", "breakout", "in review", "Latte art in 15 seconds"):
        assert cell in clone
    (old,) = (line for line in lines if line.split()[0] == str(story.acme_no_data))
    assert "no_performance_data" in old
    assert "prj_acme_coffee" not in out  # a run-level row does not repeat the project id
    assert "Northwind" not in out


def test_wide_shows_every_column(cli, story):
    out = cli("decisions", "--customer", "Acme Coffee", "--wide").stdout
    (clone,) = (line for line in out.splitlines() if line.split()[:1] == [str(story.acme_clone)])
    for cell in (
        ACME_LATTE,
        "publish-to-learn",
        "ptl-v1+3f9c2a",
        "engagement_rate=0.091",
        str(story.acme_run),
    ):
        assert cell in clone
