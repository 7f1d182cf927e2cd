"""The decision table through the real `agent` command at 80, 100 and 120 columns: one line per decision,
no line wider than the terminal, and no word broken (a cut name or title ends after a whole word, "…")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli.render import loop_tag
from tests.integration.cli.agent_process import agent


def words_of(row: dict) -> set[str]:
    """Every word the table may show for this decision."""
    created = row["created_at"]
    values = [
        str(row["id"]), row["customer"], loop_tag(row["loop"]), row["action"], row["reason"], row["outcome"] or "",
        row["title"] or "", row["subject_id"] or "", f"{created[5:10]} {created[11:16]}",
    ]  # fmt: skip
    return {word for value in values for word in value.split()}


@pytest.mark.parametrize("width", [80, 100, 120])
def test_one_line_per_decision_and_no_word_broken(story, database_url: str, tmp_path: Path, width: int):
    env = {"DATABASE_URL": database_url, "COLUMNS": str(width)}
    rows = [
        json.loads(line)
        for line in agent("decisions", "--format", "json", cwd=tmp_path, env=env).stdout.splitlines()
    ]
    table = agent("decisions", cwd=tmp_path, env=env)
    assert table.code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"decisions: {len(rows)}"
    header, rule, body = lines[1], lines[2], [line for line in lines[3:] if not line.startswith("(")]
    assert set(rule.replace(" ", "")) == {"─"}
    assert len(body) == len(rows)  # one line per decision, none wrapped
    assert all(len(line) <= width for line in lines)
    for row, line in zip(rows, body, strict=True):
        assert line.split()[0] == str(row["id"])
        allowed = words_of(row)
        for token in line.split():
            whole = token.removesuffix("…")
            assert token == "…" or whole in allowed, (width, token, line)
        assert row["action"] in line.split()
        assert row["reason"] in line.split()
    assert "action" in header
    assert "outcome" in header


def test_wide_never_cuts(story, database_url: str, tmp_path: Path):
    ran = agent("decisions", "--wide", cwd=tmp_path, env={"DATABASE_URL": database_url, "COLUMNS": "80"})
    assert "…" not in ran.stdout
    assert "not shown at this width" not in ran.stdout
