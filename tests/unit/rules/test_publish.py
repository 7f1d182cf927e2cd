import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.domain.decisions import CloneRequest
from agent.domain.evidence import PostThresholds, PostVerdict
from agent.domain.vocabulary import Action, CloneOrigin, Reason, Stage
from agent.rules.publish import PostPerformance, evaluate_publish, stage_metric
from agent.rules.thresholds import Thresholds

DEFAULT = Thresholds()
CLONE = (Action.CLONE, Reason.BREAKOUT)
ACTION_SKIP = Action.SKIP
REASON_BELOW_ENGAGEMENT_FLOOR = Reason.BELOW_ENGAGEMENT_FLOOR
REASON_BELOW_NOISE_FLOOR = Reason.BELOW_NOISE_FLOOR
REASON_CLONE_CAP_REACHED = Reason.CLONE_CAP_REACHED
REASON_EXCLUDED_BY_OVERRIDE = Reason.EXCLUDED_BY_OVERRIDE
REASON_NOT_BREAKOUT = Reason.NOT_BREAKOUT
REASON_RUN_BUDGET_EXHAUSTED = Reason.RUN_BUDGET_EXHAUSTED


def post(post_id, views=100, engagement=0.02, *, title=None, metric=None, rank=None):
    return PostPerformance(
        platform_post_id=post_id,
        title=title,
        views=views,
        engagement_rate=engagement,
        metric_value=engagement if metric is None else metric,
        rank=rank,
    )


def fillers(count=5, engagement=0.02, views=100):
    """Eligible, unremarkable posts that set the median."""
    return [post(f"f{i}", views, engagement) for i in range(count)]


def decisions(plan):
    return {outcome.subject.id: (outcome.action, outcome.reason) for outcome in plan.outcomes}


@pytest.mark.parametrize(
    ("posts", "clone_counts", "expected"),
    [
        pytest.param([*fillers(), post("p", 50, 0.10)], {}, {"p": CLONE}, id="exactly-50-views-is-eligible"),
        pytest.param(
            [*fillers(), post("p", 49, 0.10)],
            {},
            {"p": (ACTION_SKIP, REASON_BELOW_NOISE_FLOOR)},
            id="49-views-is-noise",
        ),
        pytest.param(
            [*fillers(engagement=0.05), post("p", 100, 0.10)],
            {},
            {"p": (ACTION_SKIP, REASON_NOT_BREAKOUT)},
            id="exactly-2x-median-is-not-a-breakout",
        ),
        pytest.param(
            [*fillers(engagement=0.05), post("p", 100, 0.1001)], {}, {"p": CLONE}, id="just-above-2x-median"
        ),
        pytest.param(
            [*fillers(engagement=0.01), post("p", 100, 0.04)],
            {},
            {"p": (ACTION_SKIP, REASON_BELOW_ENGAGEMENT_FLOOR)},
            id="exactly-0.04-is-not-enough",
        ),
        pytest.param(
            [*fillers(engagement=0.01), post("p", 100, 0.0401)], {}, {"p": CLONE}, id="just-above-0.04"
        ),
        pytest.param(
            [*fillers(engagement=0.01), post("p", 100, 0.03)],
            {},
            {"p": (ACTION_SKIP, REASON_BELOW_ENGAGEMENT_FLOOR)},
            id="3x-median-but-under-0.04",
        ),
        pytest.param(
            [*fillers(), post("p", 100, 0.10)], {"p": 4}, {"p": CLONE}, id="4-clones-so-far-clones-5th"
        ),
        pytest.param(
            [*fillers(), post("p", 100, 0.10)],
            {"p": 5},
            {"p": (ACTION_SKIP, REASON_CLONE_CAP_REACHED)},
            id="5-clones-so-far-is-the-cap",
        ),
        pytest.param(
            [*fillers(), post("a", 100, 0.10), post("b", 100, 0.09)],
            {},
            {"a": CLONE, "b": (ACTION_SKIP, REASON_RUN_BUDGET_EXHAUSTED)},
            id="second-breakout-exhausts-the-run-budget",
        ),
        pytest.param(
            [*fillers(), post("a", 100, 0.10), post("b", 100, 0.09)],
            {"a": 5},
            {"a": (ACTION_SKIP, REASON_CLONE_CAP_REACHED), "b": CLONE},
            id="capped-breakout-leaves-the-budget-to-the-next",
        ),
        pytest.param(
            [*fillers(), post("b", 100, 0.10), post("a", 100, 0.10)],
            {},
            {"a": CLONE, "b": (ACTION_SKIP, REASON_RUN_BUDGET_EXHAUSTED)},
            id="equal-breakouts-tie-break-by-post-id",
        ),
        pytest.param(
            [post("x", 100, 0.01), post("y", 100, 0.01), post("z", 100, 0.01), *fillers(3, engagement=0.05)],
            {},
            {"f0": (ACTION_SKIP, REASON_NOT_BREAKOUT), "f2": (ACTION_SKIP, REASON_NOT_BREAKOUT), "x": None},
            id="even-count-median-is-the-mean-of-the-middle-two",
        ),
        pytest.param([*fillers(engagement=0.0), post("p", 100, 0.05)], {}, {"p": CLONE}, id="zero-median"),
        pytest.param(
            [
                post("hi", 10, 0.30),
                post("b1", 100, 0.10),
                post("b2", 100, 0.09),
                *fillers(engagement=0.02),
            ],
            {},
            {
                "hi": (ACTION_SKIP, REASON_BELOW_NOISE_FLOOR),
                "b1": CLONE,
                "b2": (ACTION_SKIP, REASON_RUN_BUDGET_EXHAUSTED),
                "f0": None,
            },
            id="top-3-includes-ineligible-posts-and-breakouts-once",
        ),
    ],
)
def test_publish_boundaries(posts, clone_counts, expected):
    got = decisions(evaluate_publish(posts, clone_counts, DEFAULT))
    for post_id, decision in expected.items():
        assert got.get(post_id) == decision, post_id


def test_empty_list_skips_the_run():
    plan = evaluate_publish([], {}, DEFAULT)
    assert plan.skip_reason is Reason.NO_PERFORMANCE_DATA
    assert plan.outcomes == ()
    assert plan.summary.reason_counts == {"no_performance_data": 1}
    assert plan.clones == ()


@pytest.mark.parametrize(
    ("eligible", "skip_reason"),
    [pytest.param(4, Reason.INSUFFICIENT_DATA, id="4-eligible"), pytest.param(5, None, id="5-eligible")],
)
def test_minimum_eligible_posts(eligible, skip_reason):
    posts = [*fillers(eligible), post("low", 10, 0.5), post(None, 100, 0.5), post("no-organic", None, None)]
    plan = evaluate_publish(posts, {}, DEFAULT)
    assert plan.skip_reason == skip_reason
    assert plan.summary.posts_seen == eligible + 3
    assert plan.summary.posts_eligible == eligible
    if skip_reason:
        assert plan.outcomes == ()


def test_even_count_median_is_reported():
    posts = [post("x", 100, 0.01), post("y", 100, 0.01), post("z", 100, 0.01), *fillers(3, engagement=0.05)]
    assert evaluate_publish(posts, {}, DEFAULT).summary.median_engagement_rate == pytest.approx(0.03)


def test_rows_without_a_post_or_organic_data_do_not_move_the_median():
    posts = [*fillers(), post(None, 100, 0.9), post("paid-only", None, None), post("p", 100, 0.10)]
    plan = evaluate_publish(posts, {}, DEFAULT)
    assert plan.summary.median_engagement_rate == 0.02
    assert [o.subject.id for o in plan.clones] == ["p"]


def test_a_repeated_post_gets_one_outcome_and_is_not_judged():
    posts = [*fillers(), post("p", 100, 0.10), post("p", 100, 0.01)]
    plan = evaluate_publish(posts, {}, DEFAULT)
    assert [o.subject.id for o in plan.outcomes].count("p") == 1
    assert decisions(plan)["p"] == (Action.SKIP, Reason.INVALID_METRICS)
    assert plan.clones == ()


def test_clone_evidence_explains_the_decision():
    plan = evaluate_publish([*fillers(), post("p", 80, 0.10, title="Hook", rank=1)], {"p": 2}, DEFAULT)
    (clone,) = plan.clones
    assert clone.evidence == PostVerdict(
        title="Hook",
        rank=1,
        engagement_rate=0.10,
        median_engagement_rate=0.02,
        ratio_to_median=pytest.approx(5.0),
        views=80,
        thresholds=PostThresholds(
            breakout_multiple=2.0, min_engagement=0.04, min_views=50, max_clones_per_source=5
        ),
        clone_count=2,
        clone_number=3,
    )
    assert clone.effect == CloneRequest("p", CloneOrigin.BREAKOUT)
    assert clone.key == "post:p"


def test_summary():
    plan = evaluate_publish([*fillers(), post("a", 100, 0.10), post("b", 100, 0.09)], {}, DEFAULT)
    assert plan.summary.posts_seen == 7
    assert plan.summary.posts_eligible == 7
    assert plan.summary.breakout_post_ids == ("a", "b")
    assert plan.summary.thresholds == DEFAULT.as_dict()
    assert plan.summary.outcome_counts == {"clone": 1, "skip": 2}
    assert plan.summary.reason_counts == {"breakout": 1, "run_budget_exhausted": 1, "not_breakout": 1}


def test_zero_median_has_no_ratio():
    plan = evaluate_publish([*fillers(engagement=0.0), post("p", 100, 0.05)], {}, DEFAULT)
    evidence = plan.clones[0].evidence
    assert isinstance(evidence, PostVerdict)
    assert evidence.ratio_to_median is None


def test_overrides_apply():
    posts = [*fillers(), post("a", 100, 0.10), post("b", 100, 0.09)]
    plan = evaluate_publish(posts, {}, DEFAULT.with_overrides({"max_clones_per_run": 2}))
    assert [o.subject.id for o in plan.clones] == ["a", "b"]


@pytest.mark.parametrize(
    ("stage", "metric"),
    [
        pytest.param(Stage.EARLY, "engagement_rate", id="early"),
        pytest.param(Stage.GROWTH, "conversions", id="growth"),
        pytest.param(Stage.MATURE, "roas", id="mature"),
    ],
)
def test_stage_metric(stage, metric):
    assert stage_metric(stage) == metric


def test_every_stage_has_a_metric():
    assert {stage_metric(stage) for stage in Stage} == {"engagement_rate", "conversions", "roas"}


# Property-based: the invariants that protect a customer's feed, whatever Layers returns.

# Mostly ordinary posts (which keep the median low) plus boundary values and the odd breakout.
ENGAGEMENTS = st.one_of(
    st.sampled_from([0.0, 0.01, 0.02, 0.04, 0.05, 0.08, 0.1]),
    st.floats(min_value=0, max_value=0.03),
    st.floats(min_value=0, max_value=0.5),
)
ROWS = st.lists(
    st.tuples(
        st.booleans(),  # has an id
        st.one_of(st.none(), st.sampled_from([0, 49, 50, 51]), st.integers(0, 10_000)),
        st.one_of(st.none(), ENGAGEMENTS),
    ),
    max_size=25,
)
THRESHOLDS = st.builds(
    Thresholds,
    min_posts=st.integers(1, 6),
    max_clones_per_source=st.integers(1, 5),
    max_clones_per_run=st.integers(0, 3),
    top_n=st.integers(0, 5),
)


@st.composite
def scenarios(draw):
    thresholds = draw(THRESHOLDS)
    rows = draw(ROWS)
    posts = [
        PostPerformance(f"pp_{i}" if has_id else None, None, views, engagement, engagement, i + 1)
        for i, (has_id, views, engagement) in enumerate(rows)
    ]
    ids = [p.platform_post_id for p in posts if p.platform_post_id]
    # Existing clone counts cluster around the cap, where an off-by-one would show.
    cap = thresholds.max_clones_per_source
    counts = draw(st.dictionaries(st.sampled_from(ids), st.integers(max(0, cap - 2), cap + 1))) if ids else {}
    return posts, counts, thresholds


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_publish_invariants(scenario):
    posts, counts, thresholds = scenario
    plan = evaluate_publish(posts, counts, thresholds)
    by_id = {p.platform_post_id: p for p in posts}
    median = plan.summary.median_engagement_rate

    ids = [outcome.subject.id for outcome in plan.outcomes]
    assert len(ids) == len(set(ids)), "a post got two outcomes"
    assert len(plan.clones) <= thresholds.max_clones_per_run
    for clone in plan.clones:
        source = by_id[clone.subject.id]
        assert source.engagement_rate > thresholds.min_engagement
        assert source.views >= thresholds.min_views
        assert source.engagement_rate > thresholds.breakout_multiple * median
        planned = sum(1 for c in plan.clones if c.subject.id == clone.subject.id)
        assert counts.get(clone.subject.id, 0) + planned <= thresholds.max_clones_per_source
    json.dumps([outcome.evidence.to_json() for outcome in plan.outcomes])
    json.dumps(plan.summary.to_json())
    # Every judgeable post has a verdict, and a post with a decision has that decision's reason.
    judgeable = {
        p.platform_post_id
        for p in posts
        if p.platform_post_id and p.views is not None and p.engagement_rate is not None
    }
    assert set(plan.verdicts) == judgeable
    assert all(plan.verdicts[o.subject.id] is o.reason for o in plan.outcomes)


@settings(max_examples=100, deadline=None)
@given(
    median=st.floats(min_value=0.021, max_value=0.4, allow_nan=False),
    count=st.integers(5, 12),
)
def test_exactly_twice_the_median_is_never_a_breakout(median, count):
    posts = [*fillers(count, engagement=median), post("p", 100, 2 * median)]
    plan = evaluate_publish(posts, {}, DEFAULT)
    assert plan.summary.breakout_post_ids == ()
    assert plan.clones == ()


def test_an_excluded_breakout_is_never_cloned_and_leaves_the_budget_to_the_next():
    excluded = PostPerformance("legal_flagged", None, 5000, 0.12, 0.12, 1, excluded=True)
    plan = evaluate_publish([*fillers(), excluded, post("runner_up", 900, 0.09)], {}, DEFAULT)
    assert decisions(plan)["legal_flagged"] == (ACTION_SKIP, REASON_EXCLUDED_BY_OVERRIDE)
    assert decisions(plan)["runner_up"] == CLONE


def test_an_excluded_post_still_counts_toward_the_median():
    with_it = evaluate_publish(
        [*fillers(4), PostPerformance("x", None, 100, 0.30, 0.30, 1, excluded=True)], {}, DEFAULT
    )
    assert with_it.summary.posts_eligible == 5
    assert with_it.skip_reason is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.floats(0, 1, allow_nan=False), st.booleans()),
        min_size=0,
        max_size=30,
    )
)
def test_never_a_clone_of_an_excluded_post(rows):
    posts = [PostPerformance(f"p{i}", None, v, e, e, i, excluded=x) for i, (v, e, x) in enumerate(rows)]
    excluded = {p.platform_post_id for p in posts if p.excluded}
    plan = evaluate_publish(posts, {}, DEFAULT)
    assert not {outcome.subject.id for outcome in plan.clones} & excluded


@pytest.mark.parametrize(
    ("posts", "expected"),
    [
        pytest.param(
            [*fillers(), post("hit", 100, 0.10), post("quiet", 30, 0.5), post("floor", 100, 0.041)],
            {"hit": Reason.BREAKOUT, "quiet": Reason.BELOW_NOISE_FLOOR, "f3": Reason.NOT_BREAKOUT},
            id="every-post-not-just-the-top",
        ),
        pytest.param(
            [*fillers(engagement=0.01), post("twice", 100, 0.03)],
            {"twice": Reason.BELOW_ENGAGEMENT_FLOOR, "f0": Reason.NOT_BREAKOUT},
            id="beat-the-median-not-the-floor",
        ),
        pytest.param(
            [*fillers(3), post("lone", 100, 0.5)],
            {"lone": Reason.INSUFFICIENT_DATA, "f0": Reason.INSUFFICIENT_DATA},
            id="a-skipped-run-explains-every-post",
        ),
    ],
)
def test_every_post_gets_a_verdict(posts, expected):
    verdicts = evaluate_publish(posts, {}, DEFAULT).verdicts
    for post_id, reason in expected.items():
        assert verdicts[post_id] is reason, post_id
