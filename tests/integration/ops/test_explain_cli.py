"""`agent explain DECISION_ID`: one decision in plain words, with what followed it, as text or one JSON
document."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from agent.domain.decisions import Subject
from agent.domain.evidence import PoolCheck, Triage
from agent.domain.vocabulary import Action, LoopName, Reason, Restraint, SubjectType
from tests.integration.ops.story import ACME_COLD_BREW, ACME_LATTE, CLONE_ERROR, NORTHWIND_AD
from tests.support import builders as b

NEW_YORK, LONDON, LOS_ANGELES = (
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("America/Los_Angeles"),
)


def explain(invoke, decision_id: int, *more: str) -> list[str]:
    result = invoke("explain", str(decision_id), *more)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def local(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M %Z}"


def test_a_clone_decision_tells_the_breakout_the_clone_the_job_and_the_wait(cli, story):
    lines = explain(cli, story.acme_clone)
    assert lines == [
        f"Decision {story.acme_clone} for Acme Coffee, publish-to-learn loop, {local(story.now, NEW_YORK)} "
        f"({story.now:%H:%M} UTC): clone / breakout.",
        f"Post {ACME_LATTE} had engagement 0.091, 2.6x the median 0.035, over 4210 views; "
        "the thresholds were 2.0x the median and above 0.04.",
        "Why: its engagement was more than 2.0x the median and above 0.04: a post worth cloning.",
        f"Clone 2 of 5 completed as container {story.acme_clone_container}; "
        f"job job_acme_latte_2 completed at {local(story.acme_clone_finished, NEW_YORK)}; "
        "waiting for the customer's review at Layers.",
        "Rule version ptl-v1+3f9c2a.",
    ]


def test_a_skip_says_which_threshold_the_post_missed(cli, story):
    lines = explain(cli, story.acme_not_breakout)
    assert "publish-to-learn loop" in lines[0]
    assert lines[0].endswith("skip / not_breakout.")
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


def test_a_flag_gives_the_spend_the_window_and_says_nothing_was_paused(cli, story):
    lines = explain(cli, story.northwind_flag)
    assert lines[0].endswith("flag / spend_without_conversions.")
    assert "for Northwind Fitness, optimization loop" in lines[0]
    assert "Why: it spent without a single conversion." in lines
    (spend,) = (line for line in lines if line.startswith("Ad "))
    assert spend.startswith(f"Ad {NORTHWIND_AD} spent 182.40 with 0 conversions between ")
    assert spend.endswith("(flagged above 50.00); nothing was paused.")
    assert lines[-1] == "Rule version opt-v1+81be07."


def test_a_pending_approval_shows_the_proposal_the_bands_and_the_change(cli, story):
    lines = explain(cli, story.northwind_pending)
    assert lines[0].endswith("pending_approval / changes_brand_configuration.")
    assert "Why: it changes the customer's brand configuration, which needs consent." in lines
    assert (
        "Recommendation rec_nw_vp_2 had confidence 0.82: the act level is 0.7; "
        "from 0.5 up it counts as moderate, below that as low."
    ) in lines
    assert "Proposed PATCH /v1/projects/prj_northwind_fit/value-propositions: waiting for approval." in lines
    change = lines[lines.index("The change (proposed):") + 1 :]
    assert change[:2] == ["  valuePropositions", '    + ["Spin classes at 6am", "First week free"]']
    assert "(LAYERS_API_KEY is not set, so the current values are not shown)" in change
    assert not any(line.startswith("Then decision") for line in lines)


def test_an_executed_approval_tells_who_approved_when_with_the_note_and_the_result(cli, story):
    lines = explain(cli, story.northwind_executed)
    assert (
        "Proposed PATCH /v1/projects/prj_northwind_fit/value-propositions: executed; approved by "
        f"maria@northwind.example at {local(story.maria_decided_at, LONDON)}; executed at "
        f"{local(story.executed_at, LONDON)}."
    ) in lines
    assert "Note: looks right." in lines
    assert "Layers accepted it and answered with ok." in lines
    assert lines[-3:-1] == [
        f"Then decision {story.northwind_approved_by_maria}: approved by maria@northwind.example at "
        f"{local(story.maria_decided_at, LONDON)} (looks right).",
        f"Then decision {story.northwind_execution}: executed at {local(story.executed_at, LONDON)}.",
    ]
    assert not any("approved_by_customer" in line for line in lines)


def test_an_approval_step_links_to_its_proposal(cli, story):
    lines = explain(cli, story.northwind_approved_by_maria)
    assert lines[0].endswith("approve / approved_by_customer, by maria@northwind.example.")
    assert (
        f"It is a step of decision {story.northwind_executed}: pending_approval / changes_brand_configuration."
        in lines
    )
    assert "Note: looks right." in lines
    assert "Layers accepted it and answered with ok." in lines
    assert lines[-1] == "No rule version: a person decided."


def test_a_failed_clone_shows_the_layers_error_verbatim(cli, story):
    lines = explain(cli, story.harbor_failed_clone)
    (clone,) = (line for line in lines if line.startswith("Clone "))
    assert clone.startswith("Clone 5 of 5 failed as container cnt_")
    assert "job job_harbor_5a failed at" in clone
    # the message holds "[...]", which Rich would take for markup and swallow
    assert clone.endswith(f"error SOURCE_UNAVAILABLE: {CLONE_ERROR}.")


def test_shadow_and_kill_switch_decisions_say_what_they_would_have_done(cli, story, db):
    with db.session() as session:
        shadow = b.decision(
            session,
            customer_id=story.acme,
            loop=LoopName.OPTIMIZATION,
            action=Action.SHADOW_COMMISSION,
            reason=Reason.THIN_CREATIVE_POOL,
            subject=Subject(SubjectType.CREATIVE_POOL, "prj_acme_coffee"),
            evidence=PoolCheck(1, 3, ACME_LATTE, None, 7, hook="Latte art", restraint=Restraint.SHADOW_MODE),
        )
        held = b.decision(
            session,
            customer_id=story.acme,
            loop=LoopName.OPTIMIZATION,
            action=Action.SKIP,
            reason=Reason.KILL_SWITCH,
            subject=Subject(SubjectType.RECOMMENDATION, "rec_acme_refresh"),
            evidence=Triage(
                0.9, 0.7, 0.5, "ads_content", "adc_1", None, None, restraint=Restraint.KILL_SWITCH
            ),
        )
    shadow_lines = explain(cli, shadow)
    assert (
        "1 eligible creatives against a minimum of 3; would have commissioned fresh creative with the hook 'Latte art' (nothing was sent)."
        in shadow_lines
    )
    assert (
        "It would have commissioned fresh creative (nothing was sent: the customer is in shadow mode)."
        in shadow_lines
    )
    assert not any(" commissioned fresh" in line and "would" not in line for line in shadow_lines)
    assert "It would have acted on it (nothing was sent: the kill switch is on)." in explain(cli, held)


def test_a_refused_suggestion_shows_the_url(cli, story, db):
    with db.session() as session:
        refused = b.decision(
            session,
            customer_id=story.acme,
            loop=LoopName.OPTIMIZATION,
            action=Action.REFUSE,
            reason=Reason.UNSAFE_SUGGESTED_ACTION,
            subject=Subject(SubjectType.RECOMMENDATION, "rec_evil"),
            evidence=Triage(
                0.88, 0.7, 0.5, "ads_content", "adc_1", "https://evil.example/v1/x", "POST",
                recommendation_id="rec_evil", refusal="path must start with /v1/",
            ),
        )  # fmt: skip
    lines = explain(cli, refused)
    assert (
        "It suggested POST https://evil.example/v1/x, which the agent never sends: path must start with /v1/."
        in lines
    )
    assert not any("?" in line for line in lines)


def test_json_is_one_document_with_the_typed_evidence_and_what_followed(cli, story):
    result = cli("explain", str(story.northwind_executed), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["decision"]["id"] == story.northwind_executed
    assert document["decision"]["outcome"] == "executed"
    assert document["evidence_type"] == "Triage"
    assert document["evidence"]["confidence"] == 0.77
    assert document["approval"]["status"] == "executed"
    assert document["approval"]["decided_by"] == "maria@northwind.example"
    assert "idempotency_key" not in document["approval"]
    assert [f["id"] for f in document["followups"]] == [
        story.northwind_approved_by_maria,
        story.northwind_execution,
    ]
    assert document["explanation"][0].startswith(f"Decision {story.northwind_executed} ")
    clone = json.loads(cli("explain", str(story.acme_clone), "--format", "json").stdout)
    assert (clone["clone"]["status"], clone["job"]["job_id"]) == ("completed", "job_acme_latte_2")
    assert "idempotency_key" not in clone["clone"]
    assert clone["evidence"]["thresholds"]["breakout_multiple"] == 2.0
    step = json.loads(cli("explain", str(story.northwind_execution), "--json").stdout)
    assert step["follows"]["id"] == story.northwind_executed


def test_an_unknown_decision_exits_1(cli, story):
    missing = max(story.newest_first) + 1000
    result = cli("explain", str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"error: no decision {missing}\n"
    assert result.stdout == ""
