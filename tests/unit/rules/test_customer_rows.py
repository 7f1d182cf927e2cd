"""Import rows validated field by field: each problem names its line and field; ranges are the settings'."""

from __future__ import annotations

from datetime import time

import pytest

from agent.domain.vocabulary import CustomerMode, Stage
from agent.rules.customer_rows import CustomerRow, Defaults, parse_run_at, read_rows
from agent.rules.thresholds import Thresholds

DEFAULTS = Defaults(Thresholds(), time(6, 0))
GOOD = {"project_id": "prj_1", "name": "Acme Coffee"}


def one(**fields: object) -> tuple[list[CustomerRow], list[str]]:
    rows, errors = read_rows([(2, {**GOOD, **fields})], DEFAULTS)
    return rows, [str(error) for error in errors]


def test_a_full_row_is_read_into_typed_fields():
    (row,), errors = one(
        timezone="America/Los_Angeles",
        stage="Growth",
        external_id="acme",
        run_at="07:30",
        mode="shadow",
        overrides='{"min_views": 100, "breakout_multiple": 2.5}',
        auto_approve="value_propositions",
    )
    assert errors == []
    assert row == CustomerRow(
        line=2,
        project_id="prj_1",
        name="Acme Coffee",
        timezone="America/Los_Angeles",
        stage=Stage.GROWTH,
        external_id="acme",
        run_at=time(7, 30),
        mode=CustomerMode.SHADOW,
        overrides={"min_views": 100, "breakout_multiple": 2.5},
        auto_approve=("value_propositions",),
    )


def test_blank_optional_fields_are_left_out_not_defaulted():
    (row,), errors = one(timezone="", stage="  ", overrides=None, auto_approve="")
    assert errors == []
    assert (row.timezone, row.stage, row.overrides, row.auto_approve) == (None, None, None, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"name": ""}, "line 2, name: is required", id="required"),
        pytest.param(
            {"timezone": "Mars/Olympus"}, "line 2, timezone: unknown timezone 'Mars/Olympus'", id="tz"
        ),
        pytest.param({"stage": "huge"}, "line 2, stage: must be one of early, growth, mature", id="stage"),
        pytest.param({"mode": "loud"}, "line 2, mode: must be one of active, shadow", id="mode"),
        pytest.param(
            {"run_at": "25:00"}, "line 2, run_at: '25:00' is not a local time like 06:30", id="run-at"
        ),
        pytest.param({"run_at": "6:30"}, "line 2, run_at: '6:30' is not a local time", id="run-at-short"),
        pytest.param(
            {"overrides": "{min_views: 1}"}, "line 2, overrides: must be a JSON object", id="not-json"
        ),
        pytest.param(
            {"overrides": "[1]"}, "line 2, overrides: must be an object of thresholds", id="not-object"
        ),
        pytest.param(
            {"overrides": {"min_vews": 1}}, "line 2, overrides: unknown threshold 'min_vews'", id="key"
        ),
        # The same range as the MAX_CLONES_PER_SOURCE setting: 1-5.
        pytest.param(
            {"overrides": {"max_clones_per_source": 6}},
            "line 2, overrides: 'max_clones_per_source' must be >= 1 and <= 5, got 6",
            id="range",
        ),
        pytest.param(
            {"overrides": {"min_posts": 2.5}},
            "line 2, overrides: 'min_posts' must be int, got float",
            id="type",
        ),
        pytest.param(
            {"auto_approve": "refresh_fatigued"},
            "line 2, auto_approve: refresh_fatigued cannot be auto-approved; allowed: value_propositions",
            id="kind",
        ),
        pytest.param({"auto_approve": [1]}, "line 2, auto_approve: must be a list", id="kind-type"),
        pytest.param({"name": 7}, "line 2, name: must be text, got int", id="text-type"),
        pytest.param({"name": "x" * 201}, "line 2, name: must be at most 200 characters", id="too-long"),
        pytest.param(
            {"colour": "red"}, "line 2, colour: unknown field; known: project_id, name", id="unknown"
        ),
    ],
)
def test_each_bad_field_is_one_error_naming_line_and_field(fields, message):
    rows, errors = one(**fields)
    assert rows == []
    assert len(errors) == 1
    assert errors[0].startswith(message), errors


def test_every_problem_of_a_row_is_reported_not_only_the_first():
    _, errors = one(timezone="Nowhere", stage="x", run_at="noon")
    assert [error.split(":")[0] for error in errors] == [
        "line 2, timezone",
        "line 2, stage",
        "line 2, run_at",
    ]


def test_the_same_project_name_or_external_id_twice_is_an_error_on_the_later_line():
    rows, errors = read_rows(
        [
            (2, {"project_id": "prj_00000001-0000-4000-8000-000000000000", "name": "A", "external_id": "a"}),
            (3, {"project_id": "00000001-0000-4000-8000-000000000000", "name": "B"}),  # same project, bare
            (4, {"project_id": "prj_3", "name": "A"}),
            (5, {"project_id": "prj_4", "name": "D", "external_id": "a"}),
            (6, {"project_id": "prj_5", "name": "E"}),
        ],
        DEFAULTS,
    )
    assert [row.line for row in rows] == [2, 6]
    assert [str(error) for error in errors] == [
        "line 3, project_id: '00000001-0000-4000-8000-000000000000' is already on line 2",
        "line 4, name: 'A' is already on line 2",
        "line 5, external_id: 'a' is already on line 2",
    ]


def test_json_lines_values_keep_their_types():
    (row,), errors = one(auto_approve=["value_propositions", "value_propositions"], overrides={"top_n": 5})
    assert errors == []
    assert (row.auto_approve, row.overrides) == (("value_propositions",), {"top_n": 5})


@pytest.mark.parametrize(("text", "expected"), [("00:00", time(0, 0)), (" 23:59 ", time(23, 59))])
def test_run_times_are_hh_mm(text, expected):
    assert parse_run_at(text) == expected
