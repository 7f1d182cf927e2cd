"""`--format json|csv` of every read command parses, through the real `agent` command on what a demo run
recorded: JSON lines for a list, one JSON document otherwise, and CSV with a header.

The commands are found by walking the `agent` command tree (every command with a `--format table|json|csv`
option), so a read command added later cannot be missed by this test.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer import _click as click

from agent.cli.lazy import ENTRIES, Placeholder
from agent.cli.output import Format, ListFormat
from tests.integration.cli.agent_process import agent

LIST_HELP = ListFormat.__metadata__[0].help


def read_commands() -> dict[str, bool]:
    """Every command taking the output `--format`, by its words, and whether it prints a list."""
    found: dict[str, bool] = {}

    def walk(words: tuple[str, ...], command: click.Command) -> None:
        subcommands = getattr(command, "commands", None)  # a group (`agent customers …`)
        if subcommands:
            for name, sub in subcommands.items():
                walk((*words, name), sub)
            return
        for param in command.params:
            annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
            if "--format" in param.opts and annotation is Format:
                found[" ".join(words)] = getattr(param, "help", None) == LIST_HELP

    for entry in ENTRIES:
        walk((entry.name,), Placeholder(entry).load())
    return found


# What each read command is asked on the demo's records (beyond `--format`).
ARGUMENTS = {
    "why": ["pp_00000003-0001-4000-8000-000000000000"],
    "customers show": ["Acme Coffee"],
    "explain": ["1"],
    "backtest": ["--set", "min_views=1", "--since", "30d"],
}
EXITS = {"health": (0, 1), "capacity": (0, 1)}  # 1: a signal fired / over the quota, still an answer


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    where = tmp_path_factory.mktemp("demo")
    ran = agent("demo", "--job-seconds", "0.25", cwd=where, timeout=600)
    assert ran.code == 0, ran.stderr
    return where, {"DATABASE_URL": f"sqlite:///{where / 'agent-demo.db'}"}


def test_the_read_commands_are_the_ones_expected():
    assert read_commands() == {
        "decisions": True, "runs": True, "clones": True, "why": True, "backtest": True, "pending": True,
        "customers list": True, "explain": False, "health": False, "capacity": False, "customers show": False,
    }  # fmt: skip


@pytest.mark.parametrize(("command", "is_list"), sorted(read_commands().items()))
def test_json_and_csv_of_every_read_command_parse(demo, command: str, is_list: bool):
    where, env = demo
    args = [*command.split(), *ARGUMENTS.get(command, [])]
    as_json = agent(*args, "--format", "json", cwd=where, env=env)
    assert as_json.code in EXITS.get(command, (0,)), as_json.stderr
    assert "Traceback" not in as_json.stderr
    if is_list:
        rows = [json.loads(line) for line in as_json.stdout.splitlines()]
        assert all(isinstance(row, dict) for row in rows)
        assert rows or command == "backtest", command  # the demo gives every list something to show
    else:
        document = json.loads(as_json.stdout)
        assert isinstance(document, dict)
        assert document
    as_csv = agent(*args, "--format", "csv", cwd=where, env=env)
    assert as_csv.code in EXITS.get(command, (0,)), as_csv.stderr
    table = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert table
    assert len({len(row) for row in table}) == 1
    if is_list:
        assert len(table) == len(rows) + 1
