"""`agent explain DECISION_ID`: one decision in plain words, with what followed it."""

from __future__ import annotations

import json

from tests.integration.ops.story import ACME_COLD_BREW, ACME_LATTE, CLONE_ERROR, NORTHWIND_AD


def explain(invoke, decision_id: int, *more: str) -> list[str]:
    result = invoke("explain", str(decision_id), *more)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_a_clone_decision_tells_the_breakout_the_clone_the_job_and_the_wait(cli, story):
    lines = explain(cli, story.acme_clone)
    assert lines == [
        f"Decision {story.acme_clone} ({story.now:%Y-%m-%d %H:%M} UTC) for Acme Coffee, "
        "publish-to-learn loop: clone / breakout, by agent.",
        f"Post {ACME_LATTE} had engagement 0.091, 2.6x the median 0.035, over 4210 views; "
        "the thresholds were 2.0x the median and above 0.04.",
        "Why: it broke out.",
        f"Clone 2 of 5 completed as container {story.acme_clone_container}; "
        f"job job_acme_latte_2 completed at {story.acme_clone_finished:%Y-%m-%d %H:%M}; "
        "waiting for customer approval.",
        "Rule version ptl-v1+3f9c2a.",
    ]


def test_a_skip_says_which_threshold_the_post_missed(cli, story):
    lines = explain(cli, story.acme_not_breakout)
    assert "publish-to-learn loop: skip / not_breakout, by agent." in lines[0]
    assert lines[1] == (
        f"Post {ACME_COLD_BREW} had engagement 0.041, 1.2x the median 0.035, over 1830 views; "
        "the thresholds were 2.0x the median and above 0.04."
    )
    assert lines[2] == "Why: its engagement was not above 2.0x the median."
    assert not any(line.startswith("Clone") for line in lines)


def test_a_whole_run_skip_names_the_posts_it_saw(cli, story):
    lines = explain(cli, story.acme_insufficient)
    assert "Why: fewer than the minimum number of posts had enough views." in lines
    assert "It saw 6 posts, 3 with enough views; median engagement 0.031." in lines


def test_a_flag_gives_the_spend_and_the_window(cli, story):
    lines = explain(cli, story.northwind_flag)
    assert lines[0].endswith(
        "for Northwind Fitness, optimization loop: flag / spend_without_conversions, by agent."
    )
    assert "Why: it spent without a single conversion." in lines
    (spend,) = (line for line in lines if line.startswith("Ad "))
    assert spend.startswith(f"Ad {NORTHWIND_AD} spent 182.40 with 0 conversions between ")
    assert lines[-1] == "Rule version opt-v1+81be07."


def test_a_pending_approval_shows_the_proposal_still_waiting(cli, story):
    lines = explain(cli, story.northwind_pending)
    assert "pending_approval / changes_brand_configuration" in lines[0]
    assert "Why: it changes the customer's brand configuration, which needs consent." in lines
    assert "Recommendation rec_nw_vp_2 had confidence 0.82 (act at 0.7, show a human below 0.5)." in lines
    assert "Proposed PATCH /v1/projects/prj_northwind_fit/value-propositions: pending." in lines
    assert not any(line.startswith("Then decision") for line in lines)


def test_an_executed_approval_tells_who_approved_and_what_followed(cli, story):
    lines = explain(cli, story.northwind_executed)
    assert (
        "Proposed PATCH /v1/projects/prj_northwind_fit/value-propositions: executed by maria@northwind.example "
        f"at {story.maria_decided_at:%Y-%m-%d %H:%M}; executed at {story.executed_at:%Y-%m-%d %H:%M}."
    ) in lines
    assert lines[-3:-1] == [
        f"Then decision {story.northwind_approved_by_maria}: approve / approved_by_customer "
        "by maria@northwind.example.",
        f"Then decision {story.northwind_execution}: execute / executed_after_approval by agent.",
    ]


def test_a_failed_clone_shows_the_layers_error_verbatim(cli, story):
    lines = explain(cli, story.harbor_failed_clone)
    (clone,) = (line for line in lines if line.startswith("Clone "))
    assert clone.startswith("Clone 5 of 5 failed as container cnt_")
    assert "job job_harbor_5a failed at" in clone
    # the message holds "[...]", which Rich would take for markup and swallow
    assert clone.endswith(f"error SOURCE_UNAVAILABLE: {CLONE_ERROR}.")


def test_json_adds_the_raw_evidence(cli, story):
    result = cli("explain", str(story.acme_clone), "--json")
    assert result.exit_code == 0
    raw = result.stdout[result.stdout.index("{") :]
    evidence = json.loads(raw)
    assert evidence["views"] == 4210
    assert evidence["thresholds"]["breakout_multiple"] == 2.0


def test_an_unknown_decision_exits_1(cli, story):
    missing = max(story.newest_first) + 1000
    result = cli("explain", str(missing))
    assert result.exit_code == 1
    assert f"no decision {missing}" in result.stderr
    assert result.stdout == ""
