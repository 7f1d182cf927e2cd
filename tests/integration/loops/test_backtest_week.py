"""`agent backtest` on a recorded week (issue 15): a week of publish-to-learn runs on PostgreSQL and the sandbox,
then the real command replays it. With nothing changed it gives the week's own decisions; each changed
threshold gives the expected differences; it calls no API and writes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from agent.domain.run_inputs import PublishInput
from agent.store.models import Decision, Run, RunInput
from tests.integration.cli.agent_process import agent
from tests.support.cycle import FAST
from tests.support.running import follow_jobs, run_today

ACME, QUIET, TINY = "Acme Coffee", "Quiet Pages Books", "Tiny Steps Yoga"
ACME_BREAKOUT = "pp_00000003-0001-4000-8000-000000000000"  # 0.09 against a median of about 0.030
QUIET_TOP = "pp_00000004-0009-4000-8000-000000000000"  # 0.035: above 2x the median 0.015, under 0.04
TINY_TEASER = "pp_00000002-0005-4000-8000-000000000000"  # 0.09 on 38 views (four posts have >= 50 views)
DAYS = 7
SINCE = "2026-11-01"  # before the tests' clock starts (tests.support.demo.START)
# the ranking window keeps the posts in view for the whole week
pytestmark = pytest.mark.parametrize(
    "settings_overrides", [{**FAST, "top_performers_window": "30d"}], indirect=True
)


def record_week(services, clock) -> None:
    for _day in range(DAYS):
        for name in (ACME, QUIET, TINY):
            assert run_today(services, name).status in ("succeeded", "skipped")
        follow_jobs(services, clock, seconds=20)
        clock.advance(86400 - 20)


def backtest(tmp_path, database_url, base_url, *changes: str) -> tuple[list[dict], str]:
    """The real `agent backtest`, pointed at the session database and (to prove it calls nothing) the sandbox."""
    sets = [arg for change in changes for arg in ("--set", change)]
    ran = agent(
        "backtest",
        *sets,
        "--since",
        SINCE,
        "--format",
        "json",
        cwd=tmp_path,
        env={
            "DATABASE_URL": database_url,
            "LAYERS_BASE_URL": base_url,
            "LAYERS_API_KEY": "lp_test_backtest_SECRETsentinel",
        },
    )
    assert ran.code == 0, ran.stderr
    return [json.loads(line) for line in ran.stdout.splitlines()], ran.stderr.strip()


def table_counts(services) -> list[int]:
    with services.db.session() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) for model in (Decision, Run, RunInput)
        ]


def test_nothing_changed_gives_the_recorded_week_and_touches_nothing(
    services, sandbox, clock, tmp_path, database_url
):
    sb, base_url = sandbox
    record_week(services, clock)
    with services.db.session() as session:
        records = session.scalars(select(RunInput).where(RunInput.loop == "publish_to_learn")).all()
        assert len(records) == 3 * DAYS
        # the record holds the verdict each post got that day, and it is the one the decision table shows
        for row in records:
            kept = {p.post_id: p.verdict for p in PublishInput.from_json(row.record).posts}
            decided = session.scalars(
                select(Decision).where(
                    Decision.run_id == row.run_id, Decision.subject_type == "platform_post"
                )
            ).all()
            assert [(d.subject_id, kept.get(d.subject_id)) for d in decided] == [
                (d.subject_id, d.reason) for d in decided
            ]
        clones = session.scalar(select(func.count()).select_from(Decision).where(Decision.action == "clone"))
        assert clones == 5  # Acme's breakout, once a day until its cap
    before, calls = table_counts(services), sum(c["count"] for c in sb.request_counts())

    rows, summary = backtest(tmp_path, database_url, base_url)

    assert rows == []
    assert summary == (
        f"{3 * DAYS} recorded days since {SINCE} replayed with no change: 0 decisions differ, "
        "0 clones added, 0 removed"
    )
    assert table_counts(services) == before  # writes nothing
    assert sum(c["count"] for c in sb.request_counts()) == calls  # calls no API


# (change, the customers it affects, the post it clones or no longer clones, clones added, clones removed,
#  and the other differences expected: (post, recorded, replayed) on every day)
CHANGES = [
    # four posts had >= 50 views: too little data (every post of the day took `insufficient_data`); with >= 30
    # the day is judged, and the 38-view teaser (0.09 > 2 x the median 0.041) is a breakout
    ("min_views=30", {TINY}, TINY_TEASER, 5, 0, set()),
    # 0.09 is 3x the median, not 3.5x: Acme's five clones go; Quiet Pages' top post (2.3x) is no longer above
    # the breakout bar either, so it is `not_breakout` rather than `below_engagement_floor`
    (
        "breakout_multiple=3.5",
        {ACME, QUIET},
        ACME_BREAKOUT,
        0,
        5,
        {(QUIET_TOP, "below_engagement_floor", "not_breakout")},
    ),
    # 0.035 clears an engagement floor of 0.03: Quiet Pages would have been cloned, up to its cap
    ("min_engagement=0.03", {QUIET}, QUIET_TOP, 5, 0, set()),
]


def test_each_changed_threshold_gives_the_expected_differences(
    services, sandbox, clock, tmp_path, database_url
):
    _, base_url = sandbox
    record_week(services, clock)
    for change, customers, post, added, removed, also in CHANGES:
        rows, summary = backtest(tmp_path, database_url, base_url, change)
        assert {row["customer"] for row in rows} == customers, change
        assert {row["post_id"] for row in rows if row["clone"]} == {post}, change
        mine = sorted((row for row in rows if row["post_id"] == post), key=lambda row: row["local_date"])
        assert len({row["local_date"] for row in mine}) == len(mine) == DAYS, change  # every day differs
        clones = [row["clone"] for row in mine]
        # five clones (added or removed) on days 1-5; the added ones count toward the cap on days 6-7
        assert clones == ["added" if added else "removed"] * 5 + [None, None], change
        capped = {row["replayed" if added else "recorded"] for row in mine[5:]}
        assert capped == {"clone_cap_reached"}, change
        for other, recorded, replayed in also:
            theirs = [(row["recorded"], row["replayed"]) for row in rows if row["post_id"] == other]
            assert theirs == [(recorded, replayed)] * DAYS, change
        assert summary.endswith(f"{len(rows)} decisions differ, {added} clones added, {removed} removed"), (
            change
        )
