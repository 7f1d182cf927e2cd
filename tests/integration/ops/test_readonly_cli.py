"""Every read command through the `agent` entry point, connected as a login in the read-only ops role
(`OPS_ROLE`): it answers as it does for the owner, and never needs a column the role may not read (an
idempotency key) nor a write."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from typer.testing import Result

from agent.cli import context
from tests.integration.ops.story import ACME_LATTE, Story
from tests.integration.web.site import ops_login

Invoke = Callable[..., Result]


@pytest.fixture
def as_ops(cli: Invoke, database_url: str, story: Story, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    with ops_login(database_url) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.delenv("LAYERS_API_KEY", raising=False)
        context.forget_settings()
        yield cli


def test_explain_answers_for_every_decision_as_the_ops_role(as_ops: Invoke, cli: Invoke, story: Story):
    keyed = (story.acme_clone, story.northwind_pending, story.northwind_executed, story.northwind_execution)
    assert set(keyed) <= set(story.newest_first)
    for decision_id in story.newest_first:
        ran = as_ops("explain", str(decision_id), "--format", "json")
        assert ran.exit_code == 0, (decision_id, ran.output)
        document = json.loads(ran.stdout)
        assert document["decision"]["id"] == decision_id
        for part in ("clone", "commission", "approval"):
            assert "idempotency_key" not in (document[part] or {})
    clone = json.loads(as_ops("explain", str(story.acme_clone), "--format", "json").stdout)
    assert clone["clone"]["container_id"] == story.acme_clone_container
    text = as_ops("explain", str(story.northwind_executed)).stdout
    assert "approved by" in text


LISTS = [["decisions"], ["runs"], ["clones"], ["pending"], ["customers", "list"]]


@pytest.mark.parametrize("args", LISTS, ids=[" ".join(a) for a in LISTS])
def test_every_list_command_reads_as_the_ops_role(as_ops: Invoke, args: list[str]):
    ran = as_ops(*args, "--format", "json")
    assert ran.exit_code == 0, ran.output
    lines = ran.stdout.splitlines()
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_why_reads_the_runs_inputs_as_the_ops_role(as_ops: Invoke):
    ran = as_ops("why", ACME_LATTE)  # the story keeps no run inputs: the answer is that no run saw it
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith(f"no run saw {ACME_LATTE} since ")


def test_customers_show_reads_as_the_ops_role(as_ops: Invoke):
    ran = as_ops("customers", "show", "Acme Coffee", "--format", "json")
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["name"] == "Acme Coffee"


def test_health_reads_its_signals_as_the_ops_role(as_ops: Invoke):
    ran = as_ops("health", "--format", "json")
    assert ran.exit_code in (0, 1), ran.output  # 1: a signal fired, which is an answer too
    assert "signals" in json.loads(ran.stdout)
