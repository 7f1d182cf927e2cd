"""Impossible numbers are not judged (issue 15): a rate outside [0, 1], negative views, a number that is not
finite, a post id that repeats. Each gets `skip / invalid_metrics` with its raw values, and none moves the
median; a run's record keeps them (JSON holds no infinity) so a replay judges them the same way."""

from __future__ import annotations

import json
import math

import pytest

from agent.domain.learn_evidence import InvalidMetrics
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import Action, CustomerMode, LoopName, Reason, Stage
from agent.rules.policy import policy_for
from agent.rules.publish import PostPerformance, PublishInputs, decide_day, evaluate_publish, replay_posts
from agent.rules.thresholds import Thresholds

DEFAULT = Thresholds()
INVALID = (Action.SKIP, Reason.INVALID_METRICS)


def post(post_id, views=100.0, engagement=0.02):
    return PostPerformance(post_id, None, views, engagement, engagement, None)


def normal():
    """Five normal posts beside the odd ones (median 0.02), and one real breakout at 0.05."""
    return [*(post(f"ok{i}") for i in range(5)), post("real", 900, 0.05)]


def outcome(plan, post_id):
    found = [o for o in plan.outcomes if o.subject.id == post_id]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        pytest.param([post("odd", 400, 7.5)], "engagement_rate 7.5 is outside [0, 1]", id="rate-7.5"),
        pytest.param([post("odd", 400, -0.1)], "engagement_rate -0.1 is outside [0, 1]", id="negative-rate"),
        pytest.param([post("odd", -3, 0.09)], "views -3 is negative", id="negative-views"),
        pytest.param(
            [post("odd", 400, math.inf)], "engagement_rate inf is not a finite number", id="infinite-rate"
        ),
        pytest.param(
            [post("odd", 400, math.nan)], "engagement_rate nan is not a finite number", id="nan-rate"
        ),
        pytest.param([post("odd", math.inf, 0.09)], "views inf is not a finite number", id="infinite-views"),
        pytest.param(
            [post("odd", 400, 0.09), post("odd", 400, 0.01)], "the post appears 2 times", id="id-repeats"
        ),
        pytest.param(
            [post("odd", 400, 0.09), post("odd", 400, 0.09)], "the post appears 2 times", id="id-repeats-same"
        ),
    ],
)
def test_an_impossible_post_is_skipped_with_its_raw_values_and_is_not_judged(rows, problem):
    plan = evaluate_publish([*normal(), *rows], {}, DEFAULT)
    skipped = outcome(plan, "odd")
    assert (skipped.action, skipped.reason) == INVALID
    assert isinstance(skipped.evidence, InvalidMetrics)
    assert problem in skipped.evidence.problems
    assert len(skipped.evidence.rows) == len(rows)
    assert plan.verdicts["odd"] is Reason.INVALID_METRICS
    json.dumps(skipped.evidence.to_json(), allow_nan=False)  # storable: no NaN or infinity in the evidence
    assert plan.summary.median_engagement_rate == pytest.approx(0.02)  # it does not move the median
    assert plan.summary.posts_eligible == 6
    assert [c.subject.id for c in plan.clones] == ["real"]  # never a breakout itself


def test_an_impossible_post_is_reported_even_when_the_run_has_too_little_data():
    plan = evaluate_publish([post("a"), post("odd", 400, 7.5)], {}, DEFAULT)
    assert plan.skip_reason is Reason.INSUFFICIENT_DATA
    assert (outcome(plan, "odd").action, outcome(plan, "odd").reason) == INVALID


def test_the_record_keeps_impossible_numbers_and_a_replay_judges_them_the_same():
    posts = (
        *normal(),
        post("inf", 400, math.inf),
        post("big", 400, 7.5),
        post("dup", 300, 0.09),
        post("dup", 10, 0.01),
    )
    inputs = PublishInputs("prj", Stage.EARLY, posts, "engagement_rate", ())
    policy = policy_for(
        loop=LoopName.PUBLISH_TO_LEARN,
        defaults=DEFAULT,
        overrides={},
        mode=CustomerMode.ACTIVE,
        kill_switch=False,
    )
    day = decide_day(inputs, {}, policy)
    stored = json.loads(json.dumps(day.record.to_json(), allow_nan=False))
    record = PublishInput.from_json(stored)
    (seen,) = [p for p in record.posts if p.post_id == "inf"]
    assert (seen.engagement_rate, seen.non_finite) == (None, ("engagement_rate",))
    replayed = evaluate_publish(replay_posts(record), record.clone_counts, DEFAULT)
    assert replayed.verdicts == evaluate_publish(posts, {}, DEFAULT).verdicts
    assert {replayed.verdicts[p] for p in ("inf", "big", "dup")} == {Reason.INVALID_METRICS}
