import dataclasses
import os
import re
import subprocess
import sys

import pytest

from agent.rules.thresholds import RULESET, Thresholds, rule_version

DEFAULTS = {
    "min_views": 50,
    "min_posts": 5,
    "breakout_multiple": 2.0,
    "min_engagement": 0.04,
    "max_clones_per_source": 5,
    "max_clones_per_run": 1,
    "top_n": 3,
    "spend_without_conversions_min": 50.0,
    "min_eligible_pool": 3,
    "commission_cooldown_days": 7,
    "recommendation_act_confidence": 0.7,
    "recommendation_surface_confidence": 0.5,
    "clones_underperform_after": 2,
    "outcome_min_views": 50,
    "outcome_win_multiple": 1.0,
    "hit_rate_window": 10,
    "min_hit_rate": 0.3,
}


def test_defaults_follow_the_docs():
    assert Thresholds().as_dict() == DEFAULTS
    assert RULESET == "v1"


def test_overrides_return_a_copy():
    base = Thresholds()
    tuned = base.with_overrides({"min_views": 100, "min_engagement": 0.05})
    assert (tuned.min_views, tuned.min_engagement) == (100, 0.05)
    assert base == Thresholds()


def test_an_int_is_accepted_for_a_float_threshold_and_stored_as_float():
    tuned = Thresholds().with_overrides({"breakout_multiple": 3})
    assert tuned.breakout_multiple == 3.0
    assert isinstance(tuned.breakout_multiple, float)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        pytest.param({"min_vews": 10}, "min_vews", id="unknown-name"),
        pytest.param({"min_views": "50"}, "min_views", id="string-for-int"),
        pytest.param({"min_views": 50.5}, "min_views", id="float-for-int"),
        pytest.param({"top_n": True}, "top_n", id="bool-for-int"),
        pytest.param({"min_engagement": "0.04"}, "min_engagement", id="string-for-float"),
        pytest.param({"min_engagement": None}, "min_engagement", id="none-for-float"),
        pytest.param({"breakout_multiple": False}, "breakout_multiple", id="bool-for-float"),
        pytest.param({"min_views": -1}, "min_views", id="negative"),
        pytest.param({"min_engagement": float("nan")}, "min_engagement", id="nan"),
        pytest.param(
            {"spend_without_conversions_min": float("inf")}, "spend_without_conversions_min", id="inf"
        ),
        pytest.param({"min_posts": 0}, "min_posts", id="no-posts-no-median"),
        pytest.param(
            {"recommendation_act_confidence": 1.5}, "recommendation_act_confidence", id="confidence>1"
        ),
        pytest.param(
            {"recommendation_surface_confidence": 0.8},
            "recommendation_surface_confidence",
            id="surface-above-act",
        ),
    ],
)
def test_a_bad_override_fails_naming_the_key(overrides, named):
    with pytest.raises(ValueError, match=named):
        Thresholds().with_overrides(overrides)


def test_rule_version_names_the_ruleset_and_a_digest():
    assert re.fullmatch(r"ptl-v1\+[0-9a-f]{8}", rule_version(Thresholds()))


def test_rule_version_of_the_defaults_is_pinned():
    # Changing the canonical form silently would orphan every recorded decision's version.
    assert rule_version(Thresholds()) == "ptl-v1+1f94bb1d"


@pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(Thresholds)])
def test_rule_version_changes_with_every_threshold(name):
    value = getattr(Thresholds(), name)
    changed = (value - 1 if value > 1 else value + 1) if isinstance(value, int) else value * 0.9
    bumped = Thresholds().with_overrides({name: changed})
    assert rule_version(bumped) != rule_version(Thresholds())


def test_rule_version_ignores_int_versus_float_spelling():
    assert rule_version(Thresholds(breakout_multiple=2)) == rule_version(Thresholds())


def test_rule_version_is_stable_across_processes():
    code = "from agent.rules.thresholds import Thresholds, rule_version; print(rule_version(Thresholds()))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {rule_version(Thresholds())}
