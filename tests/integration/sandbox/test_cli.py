"""The one command line: where it listens, both fault spellings, and one-line start-up errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from agent.sandbox.cli import sandbox_command

LISTENING = re.compile(r"^sandbox listening on (http://127\.0\.0\.1:\d+) \(scenario (\S+), tier (\w+)\)$")


def _invoke(*args: str):
    app = typer.Typer()
    app.command()(sandbox_command)
    return CliRunner().invoke(app, list(args))


def _one_line_error(result) -> str:
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_python_m_serves_prints_where_it_listens_and_stops_on_sigterm(tls):
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "agent.sandbox", "--port", "0", "--tier", "pilot", "--seed", "3"),
            *("--fault-5xx", "0.25", "--rate-429", "0.5", "--jitter-ms", "0", "--job-duration-scale", "0.5"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = LISTENING.match(process.stdout.readline().rstrip("\n"))
        assert found, process.stderr.read() if process.stderr else ""
        base_url, scenario, tier = found.groups()
        assert (scenario, tier) == ("demo", "pilot")
        with httpx.Client(base_url=base_url, timeout=5, verify=tls) as http:
            assert http.get("/_sandbox/health").json()["ok"] is True
            faults = http.get("/_sandbox/faults").json()
        assert (faults["seed"], faults["rate_5xx"], faults["rate_429"]) == (3, 0.25, 0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_agent_sandbox_is_the_same_command():
    from agent.cli import processes

    assert processes.sandbox is sandbox_command


def test_an_empty_scenario_file_is_refused(tmp_path: Path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing but a comment\n")
    assert (
        _one_line_error(_invoke("--scenario", str(empty))) == f"sandbox: {empty}: the scenario file is empty"
    )


def test_a_missing_scenario_file_is_named(tmp_path: Path):
    missing = tmp_path / "missing.yaml"
    line = _one_line_error(_invoke("--scenario", str(missing)))
    assert line.startswith(f"sandbox: {missing}: cannot read scenario file")


def test_broken_yaml_names_the_file_and_the_line(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nprojects: [\n  {id: 1\n")
    line = _one_line_error(_invoke("--scenario", str(broken)))
    assert re.match(rf"^sandbox: {re.escape(str(broken))}: not valid YAML at line \d+, column \d+: ", line)


def test_a_schema_error_names_the_file_and_the_field(tmp_path: Path):
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("projects:\n  - id: prj_nope\n    name: X\n")
    line = _one_line_error(_invoke("--scenario", str(invalid)))
    assert line.startswith(f"sandbox: {invalid}: projects[0].id: ")


def test_a_busy_port_is_named():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = _one_line_error(_invoke("--port", str(port)))
    assert line == f"sandbox: cannot listen on 127.0.0.1:{port}: Address already in use"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--tier", "gold"), "unknown rate-limit tier 'gold'"),
        (("--job-duration-scale", "0"), "job_duration_scale must be positive"),
    ],
)
def test_a_bad_setting_is_one_line(args: tuple[str, ...], problem: str):
    assert problem in _one_line_error(_invoke(*args))


def test_a_failed_start_leaves_no_signal_handler_behind(tmp_path: Path):
    before = signal.getsignal(signal.SIGTERM)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        _invoke("--port", str(holder.getsockname()[1]))
    assert signal.getsignal(signal.SIGTERM) is before
