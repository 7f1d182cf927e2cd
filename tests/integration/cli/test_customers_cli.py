"""`agent customers …`: the consent policy validated, every configuration change printed and recorded as a
decision with who made it and each field before and after; show, list, rename and remove."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from agent.domain.vocabulary import CONFIGURATION
from agent.store.models import Customer, Decision
from tests.integration.cli.in_process import ACME_PROJECT, DENTAL_PROJECT, agent, sandbox

__all__ = ["agent", "sandbox"]  # fixtures


def changes_recorded(db) -> list[tuple[str, str, dict]]:
    """(reason, actor, {field: [before, after]}) of every configuration decision, oldest first."""
    with db.session() as session:
        rows = session.scalars(select(Decision).where(Decision.loop == CONFIGURATION).order_by(Decision.id))
        return [
            (d.reason, d.actor, {c["field"]: [c["before"], c["after"]] for c in d.evidence["changes"]})
            for d in rows
        ]


@pytest.fixture
def acme(agent, db):
    result = agent("customers", "add", "--project-id", ACME_PROJECT, "--name", "Acme Coffee", "--by", "dana")
    assert result.exit_code == 0, result.output
    return "Acme Coffee"


@pytest.mark.parametrize(
    "given",
    [["--auto-approve", "everything"], ["--auto-approve", ""], ["--auto-approve", "refresh_fatigued"]],
)
def test_only_the_consent_gates_own_kinds_can_be_auto_approved(agent, db, given):
    added = agent("customers", "add", "--project-id", DENTAL_PROJECT, "--name", "Dental", *given)
    assert added.exit_code == 2
    assert added.stderr.startswith(
        f"error: --auto-approve {given[1]!r}: only value_propositions can be auto-approved"
    )
    with db.session() as session:
        assert session.scalars(select(Customer)).all() == []


def test_set_prints_and_records_each_change_with_its_actor(agent, db, acme):
    changed = agent(
        "customers", "set", acme, "--mode", "shadow", "--run-at", "07:15", "--auto-approve", "value_propositions",
        "--overrides", '{"min_views": 100}', "--by", "sam@ops",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert changed.output.splitlines() == [
        "Acme Coffee: changed",
        "  mode: active → shadow",
        "  run_at: 06:00 → 07:15",
        "  threshold_overrides: (none) → min_views=100",
        "  auto_approve_kinds: (none) → value_propositions",
    ]
    cleared = agent("customers", "set", acme, "--clear-auto-approve", "--by", "sam@ops")
    assert cleared.output.splitlines() == [
        "Acme Coffee: changed",
        "  auto_approve_kinds: value_propositions → (none)",
    ]
    same = agent("customers", "set", acme, "--mode", "shadow")
    assert same.output == "Acme Coffee: nothing changed\n"
    recorded = changes_recorded(db)
    assert [reason for reason, _, _ in recorded] == ["customer_added", "settings_changed", "settings_changed"]
    assert recorded[0][1] == "dana"
    assert recorded[1] == (
        "settings_changed",
        "sam@ops",
        {
            "mode": ["active", "shadow"],
            "run_at": ["06:00", "07:15"],
            "threshold_overrides": [{}, {"min_views": 100}],
            "auto_approve_kinds": [[], ["value_propositions"]],
        },
    )
    conflicting = agent(
        "customers", "set", acme, "--auto-approve", "value_propositions", "--clear-auto-approve"
    )
    assert conflicting.exit_code == 2
    assert agent("customers", "set", acme, "--mode", "sleepy").exit_code == 2


def test_pause_resume_rename_and_remove_are_recorded(agent, db, acme):
    assert agent("customers", "pause", acme, "--by", "ops").output.splitlines() == [
        "Acme Coffee: paused",
        "  enabled: True → False",
    ]
    assert agent("customers", "pause", acme).output == "Acme Coffee: nothing changed\n"
    assert agent("customers", "resume", "acme-coffee").exit_code == 0
    renamed = agent("customers", "rename", acme, "Acme Coffee Roasters")
    assert renamed.output.splitlines()[1] == "  name: Acme Coffee → Acme Coffee Roasters"
    removed = agent("customers", "remove", "Acme Coffee Roasters")
    assert removed.output.splitlines()[0] == "Acme Coffee Roasters: removed (its history is kept)"
    with db.session() as session:
        customer = session.scalars(select(Customer)).one()
        assert (customer.enabled, customer.removed_at is not None) == (False, True)
    reasons = [reason for reason, _, _ in changes_recorded(db)]
    assert reasons == [
        "customer_added",
        "schedule_paused",
        "schedule_resumed",
        "customer_renamed",
        "customer_removed",
    ]
    assert agent("customers", "list").output == "no customers match (--all shows removed ones)\n"
    (row,) = map(json.loads, agent("customers", "list", "--all", "--format", "json").output.splitlines())
    assert (row["name"], row["state"]) == ("Acme Coffee Roasters", "removed")
    explained = agent("explain", str(_last_decision(db))).output
    assert "Why: a person removed the customer: it never runs again, its history stays." in explained
    assert agent("customers", "pause", "nobody").exit_code == 2


def _last_decision(db) -> int:
    with db.session() as session:
        return max(session.scalars(select(Decision.id)))


def test_list_and_show_tell_the_policy_and_the_overrides(agent, db, acme):
    agent("customers", "set", acme, "--auto-approve", "value_propositions", "--overrides", '{"min_posts": 7}')
    (row,) = map(json.loads, agent("customers", "list", "--format", "json").output.splitlines())
    assert (row["auto_approve_kinds"], row["threshold_overrides"], row["state"]) == (
        ["value_propositions"],
        {"min_posts": 7},
        "active",
    )
    table = agent("customers", "list").output
    assert "auto-approve" in table.splitlines()[0]
    assert "value_propositions" in table
    shown = json.loads(agent("customers", "show", acme, "--format", "json").output)
    assert shown["timezone"] == "America/Los_Angeles"
    assert [change["reason"] for change in shown["changes"]] == ["settings_changed", "customer_added"]
    text = agent("customers", "show", acme).output.splitlines()
    assert "auto approve kinds   value_propositions" in text
    assert any("settings_changed by cli:" in line and "(agent explain " in line for line in text)
