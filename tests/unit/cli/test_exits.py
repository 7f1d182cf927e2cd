"""The CLI's error boundary: operational failures become a line and an exit code; bugs keep their traceback."""

from __future__ import annotations

import subprocess
import sys

from agent.cli import exits
from agent.config import ConfigError
from agent.layers import errors as layers
from agent.store.customers import CustomerNotFound

PROGRAM = """
from agent.cli.lazy import lazy
lazy("boom", "tests.unit.cli.boom:boom", "a bug", panel="Inspect")
from agent.cli import app
app(prog_name="agent")
"""


def test_known_failures_have_their_exit_code():
    assert exits.classify(exits.BadInput("x")) == exits.Failure("x", 2)
    assert exits.classify(exits.Temporary("x")) == exits.Failure("x", 75)
    assert exits.classify(ConfigError("MIN_VIEWS: bad")) == exits.Failure("MIN_VIEWS: bad", 2)
    assert exits.classify(CustomerNotFound("no customer")) == exits.Failure("no customer", 2)
    assert exits.classify(layers.Unauthenticated("bad key", status=401)).code == 2
    assert exits.classify(layers.ServerError("down", status=503)).code == 75
    assert exits.classify(layers.LayersConnectionError("refused")).code == 75
    assert exits.classify(layers.NotFound("gone", status=404)).code == 1


def test_programming_errors_are_not_classified():
    for bug in (ValueError("bad value"), KeyError("key"), TypeError("type"), ZeroDivisionError()):
        assert exits.classify(bug) is None


def test_a_bug_in_a_command_keeps_its_traceback():
    ran = subprocess.run([sys.executable, "-c", PROGRAM, "boom"], capture_output=True, text=True, check=False)
    assert ran.returncode == 1
    assert "Traceback (most recent call last)" in ran.stderr
    assert ran.stderr.rstrip().endswith("ZeroDivisionError: division by zero")


def test_a_report_is_one_line_with_secrets_redacted(capsys):
    code = exits.report(exits.Failure("Layers said\nno to lp_test_abc_SECRETsentinel", 2))
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "SECRETsentinel" not in err
