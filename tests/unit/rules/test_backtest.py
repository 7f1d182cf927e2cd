"""Backtests (issue 15): recorded days replayed through the pure rules with changed thresholds. Nothing
changed gives exactly the recorded decisions; each changed threshold gives the expected differences."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.run_inputs import PostSeen, PublishInput
from agent.domain.vocabulary import Reason
from agent.rules.backtest import RecordedDay, replay
from agent.rules.publish import PostPerformance, evaluate_publish, input_record
from agent.rules.thresholds import Thresholds

FILLERS = [(f"f{i}", 100, 0.02) for i in range(5)]  # the median is 0.02


def day(when: date, rows, *, thresholds=None, counts=None, customer=1):
    """A recorded publish-to-learn day: what the rules decided on these rows is what the record says."""
    thresholds = thresholds or Thresholds()
    posts = [
        PostPerformance(pid, None, views, rate, rate, i + 1)
        for i, (pid, views, rate) in enumerate([*FILLERS, *rows])
    ]
    plan = evaluate_publish(posts, counts or {}, thresholds)
    return RecordedDay(customer, when, when.day, input_record(posts, counts or {}, thresholds, plan))


WEEK = [
    day(date(2026, 11, d), [("pp_a", 900, 0.09), ("pp_b", 60, 0.03), ("pp_c", 900, 0.045)], customer=c)
    for d in range(1, 8)
    for c in (1, 2)
]


def test_nothing_changed_gives_the_recorded_week_exactly():
    report = replay(WEEK, {})
    assert report.differences == ()
    assert (report.days, report.clones_added, report.clones_removed) == (14, 0, 0)


def test_replaying_a_day_reads_the_same_verdicts_the_record_holds():
    for recorded in WEEK:
        kept = {p.post_id: p.verdict for p in recorded.record.posts if p.verdict}
        assert kept["pp_a"] is Reason.BREAKOUT


@pytest.mark.parametrize(
    ("changes", "post", "recorded", "replayed"),
    [
        pytest.param(
            {"min_views": 100}, "pp_b", Reason.NOT_BREAKOUT, Reason.BELOW_NOISE_FLOOR, id="min_views"
        ),
        pytest.param(
            {"breakout_multiple": 5.0}, "pp_a", Reason.BREAKOUT, Reason.NOT_BREAKOUT, id="breakout_multiple"
        ),
        pytest.param(
            {"min_engagement": 0.1},
            "pp_a",
            Reason.BREAKOUT,
            Reason.BELOW_ENGAGEMENT_FLOOR,
            id="min_engagement",
        ),
    ],
)
def test_a_changed_threshold_lists_every_decision_that_differs(changes, post, recorded, replayed):
    report = replay(WEEK, changes)
    mine = [d for d in report.differences if d.post_id == post]
    assert len(mine) == 14  # every day of both customers
    assert {(d.recorded, d.replayed) for d in mine} == {(recorded, replayed)}


def test_a_bigger_budget_adds_clones_until_the_cap_and_the_totals_say_so_per_customer():
    # pp_c (0.045) is a breakout too, left out by the budget of one clone a run; a budget of two clones it,
    # and the clones the replay adds count toward its cap on the days after (five, then the cap is reached).
    report = replay(WEEK, {"max_clones_per_run": 2})
    assert report.clones_added == 10
    assert {c: (t.clones_added, t.changed) for c, t in report.totals.items()} == {1: (5, 7), 2: (5, 7)}
    later = [d.replayed for d in report.differences if d.customer_id == 1 and d.local_date.day > 5]
    assert later == [Reason.CLONE_CAP_REACHED, Reason.CLONE_CAP_REACHED]
    assert {d.post_id for d in report.differences} == {"pp_c"}


def test_removed_clones_free_cap_room_for_the_days_after():
    days = [day(date(2026, 11, d), [("pp_a", 900, 0.09)], counts={"pp_a": d - 1}) for d in range(1, 7)]
    recorded = [p.verdict for d in days for p in d.record.posts if p.post_id == "pp_a"]
    assert recorded[-1] is Reason.CLONE_CAP_REACHED  # day 6: five clones already
    report = replay(days, {"max_clones_per_source": 3})
    assert [(d.local_date.day, d.replayed) for d in report.differences] == [
        (4, Reason.CLONE_CAP_REACHED),
        (5, Reason.CLONE_CAP_REACHED),
    ]


def test_an_unknown_or_out_of_range_change_is_refused():
    with pytest.raises(ValueError, match="unknown threshold"):
        replay(WEEK, {"min_vews": 10})
    with pytest.raises(ValueError, match="max_clones_per_source"):
        replay(WEEK, {"max_clones_per_source": 9})


def test_a_record_written_before_a_threshold_existed_replays_with_its_default():
    old = WEEK[0].record
    trimmed = PublishInput(
        thresholds={k: v for k, v in old.thresholds.items() if k != "clones_underperform_after"},
        clone_counts=old.clone_counts,
        posts=tuple(PostSeen(**{**vars(p)}) for p in old.posts),
    )
    assert replay([RecordedDay(1, date(2026, 11, 1), 1, trimmed)], {}).differences == ()
