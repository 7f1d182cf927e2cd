"""The fleet benchmark runs end to end on a tiny fleet (five customers, K = 120): real workers and beat on a
private Redis, a fresh PostgreSQL database, the scaled sandbox. It checks the report's shape and that every
run ended; the numbers themselves are the benchmark's to report, never a test's to assert."""

from __future__ import annotations

import json

import pytest

from benchmarks import fleet

pytestmark = pytest.mark.slow


def test_a_tiny_fleet_runs_to_the_end_and_reports_every_figure(capsys):
    args = ["--customers", "5", "--speed", "120", "--workers", "1", "--threads", "4"]
    code = fleet.main([*args, "--playbook-customers", "2", "--timeout", "120", "--json"])
    report = json.loads(capsys.readouterr().out)

    assert code == 0
    assert report["all_ended"] is True
    assert sum(report["runs"].values()) == 10
    assert set(report["runs"]) <= {"succeeded", "failed"}
    assert report["wall_s"] > 0
    assert report["quota"]["minimum_s"] > 0
    assert set(report["quota"]["classes"]) <= {"read-light", "write-light", "long-running"}
    assert report["wall_over_minimum"] == pytest.approx(report["wall_s"] / report["quota"]["minimum_s"])
    assert 0 <= report["responses"]["share_429"] <= 1
    assert report["responses"]["total"] == sum(report["responses"]["by_class"].values())
    reads = report["reads"]
    assert set(reads["by_loop"]) == {"publish_to_learn", "optimization"}
    assert reads["per_customer"] == pytest.approx(sum(reads["by_loop"].values()))
    # One pool read and one ranking read per customer-day, across both loops.
    assert reads["by_route"]["publish_to_learn"]["/v1/projects/{projectId}/ads-content"] == 1
    assert "/v1/projects/{projectId}/ads-content" not in reads["by_route"]["optimization"]
    assert {"jobs", "polls_per_job", "timed_out", "abandoned"} <= set(report["jobs"])
    assert report["playbook"]["customers"] == 2
    assert report["speedup"] == pytest.approx(report["playbook"]["wall_s_for_fleet"] / report["wall_s"])
