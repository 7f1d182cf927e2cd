"""Typed evidence: every kind round-trips through JSON, old rows without newer fields still read, and a field
of the wrong type is an error rather than a silent guess."""

from __future__ import annotations

import json

import pytest

from agent.domain.evidence import (
    ConsentStep,
    ContentReview,
    CreativeWeek,
    CrossCheck,
    Evidence,
    EvidenceError,
    Failure,
    GaveUp,
    NoEvidence,
    PerformerRow,
    PoolCheck,
    PostThresholds,
    PostVerdict,
    PublishSummary,
    SpendFlag,
    StageTopRow,
    Triage,
    WeeklyReview,
    evidence_type,
    read_evidence,
)
from agent.domain.learn_evidence import (
    AccountSeen,
    CandidateReplay,
    CloneVerdict,
    InvalidMetrics,
    PostStep,
    PublicationStep,
    RawRow,
    ThresholdReview,
    VariationResult,
)
from agent.domain.vocabulary import Action, Reason, Restraint, Stage, SubjectType

WEEK = CreativeWeek("ads_content", "adc_1", ("ad_1", "ad_2"), 40.0, 1000.0, 2.0, 20.0, 0.6)
SAMPLES: list[Evidence] = [
    NoEvidence(),
    PostVerdict(
        "Latte",
        1,
        0.09,
        0.03,
        3.0,
        4210,
        PostThresholds(2.0, 0.04, 50, 5),
        1,
        2,
        "cnt_1",
        2,
        Restraint.SHADOW_MODE,
    ),
    PublishSummary(
        7,
        6,
        {"min_views": 50},
        0.03,
        ("pp_1",),
        {"clone": 1},
        {"breakout": 1},
        Stage.GROWTH,
        "conversions",
        (StageTopRow("pp_1", "Latte", "conversions", 4.0),),
    ),
    SpendFlag(87.5, 1000.0, 0.0, "2026-11-21T00:00:00+00:00", "2026-11-28T00:00:00+00:00", 50.0, "adc_1"),
    PoolCheck(2, 3, "pp_1", None, 7, "Whiter in a week", "cnt_9", Restraint.KILL_SWITCH),
    Triage(
        0.82,
        0.7,
        0.5,
        "ads_content",
        "adc_1",
        "/v1/x",
        "POST",
        "rec_1",
        None,
        CrossCheck(Action.PROCEED, Reason.NO_CONVERSIONS, 1, 40.0, 0.0, None, 1.0),
        "pp_1",
        "cnt_2",
        3,
    ),
    WeeklyReview("a", "b", WEEK, (WEEK,), (WEEK,), (PerformerRow("pp_1", "One", 3.0),)),
    Failure("boom", "VALIDATION", 422, "req_1", None, None, "pp_1"),
    GaveUp(5, "ServerError: 503"),
    ConsentStep("PATCH", "/v1/projects/prj_1", "value_propositions", "fine"),
    ContentReview("cnt_1", "rejected", "evt_1", "2026-11-28T00:00:00Z", "api_key_1", "off-brand"),
    # publish and learn (issue 15)
    PublicationStep(
        "cnt_2",
        "cnt_1",
        "pp_1",
        "approved",
        "2026-11-28T23:00:00Z",
        ("sa_1",),
        (AccountSeen("sa_1", "tiktok", "connected", "acme"),),
        "queued",
        ("sp_1",),
        "cli:ops",
    ),
    PostStep("sp_1", "cnt_2", "published", "tiktok", "sa_1", "738", "https://t/738", "2026-11-28T23:00:20Z"),
    CloneVerdict(
        "pp_1",
        6100,
        0.05,
        0.09,
        0.02,
        -0.44,
        1.5,
        50,
        1.0,
        "a",
        "b",
        72.0,
        (VariationResult("cnt_2", "pp_9", 6100, 0.05),),
    ),
    InvalidMetrics("pp_odd", ("engagement_rate 7.5 is outside [0, 1]",), (RawRow(3, 400.0, 7.5),)),
    ThresholdReview(
        0.25,
        1,
        3,
        4,
        0.3,
        12,
        30,
        (CandidateReplay({"breakout_multiple": 2.5}, 0, 2, 2, 0),),
        {"min_views": 50},
    ),
]


@pytest.mark.parametrize("evidence", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_kind_round_trips_through_json(evidence):
    stored = json.loads(json.dumps(evidence.to_json()))
    assert type(evidence).from_json(stored) == evidence


def test_a_row_written_before_a_field_existed_still_reads():
    old = {
        "title": "Latte", "rank": 1, "engagement_rate": 0.09, "median_engagement_rate": 0.03,
        "ratio_to_median": 3.0, "views": 4210, "clone_count": 1, "clone_number": 2,
        "thresholds": {"breakout_multiple": 2, "min_engagement": 0.04, "min_views": 50, "max_clones_per_source": 5},
    }  # fmt: skip
    verdict = PostVerdict.from_json(old)
    assert (verdict.container_id, verdict.restraint, verdict.thresholds.breakout_multiple) == (
        None,
        None,
        2.0,
    )


@pytest.mark.parametrize(
    ("cls", "data", "problem"),
    [
        pytest.param(GaveUp, {}, "'attempts' is missing", id="missing-required"),
        pytest.param(GaveUp, {"attempts": "five"}, "expected int", id="wrong-scalar"),
        pytest.param(GaveUp, {"attempts": True}, "expected int", id="bool-is-not-int"),
        pytest.param(
            PoolCheck,
            {
                "eligible_count": 1,
                "min_eligible_pool": 3,
                "hook_source_post_id": None,
                "last_commission_at": None,
                "commission_cooldown_days": 7,
                "restraint": "asleep",
            },
            "not a Restraint",
            id="unknown-enum",
        ),
        pytest.param(
            WeeklyReview,
            {"window_since": "a", "window_until": "b", "totals": []},
            "expected an object",
            id="wrong-nesting",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_an_error(cls, data, problem):
    with pytest.raises(EvidenceError, match=problem):
        cls.from_json(data)


@pytest.mark.parametrize(
    ("reason", "subject", "expected"),
    [
        (Reason.BREAKOUT, SubjectType.PLATFORM_POST, PostVerdict),
        (Reason.KILL_SWITCH, SubjectType.PLATFORM_POST, PostVerdict),
        (Reason.KILL_SWITCH, SubjectType.CREATIVE_POOL, PoolCheck),
        (Reason.KILL_SWITCH, SubjectType.RECOMMENDATION, Triage),
        (Reason.DAILY_SUMMARY, SubjectType.CUSTOMER, PublishSummary),
        (Reason.WEEKLY_REVIEW, SubjectType.CUSTOMER, WeeklyReview),
        (Reason.APPROVED_BY_CUSTOMER, SubjectType.RECOMMENDATION, ConsentStep),
        (Reason.MALFORMED_RESPONSE, SubjectType.JOB, Failure),
        (Reason.ATTEMPTS_EXHAUSTED, SubjectType.RUN, GaveUp),
    ],
)
def test_the_evidence_type_follows_the_reason_then_the_subject(reason, subject, expected):
    assert evidence_type(reason, subject) is expected


def test_read_evidence_types_a_stored_row():
    row = {"method": "PATCH", "path": "/v1/projects/prj_1", "note": None, "kind": "value_propositions"}
    assert read_evidence("executed_after_approval", "recommendation", row) == ConsentStep(
        "PATCH", "/v1/projects/prj_1", "value_propositions"
    )
