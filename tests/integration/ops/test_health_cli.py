"""`agent health`: the agent's own signals (beat, the dispatcher, failed and stuck runs) and the four
Layers-side signals, from rows in the store to an exit code for alerting.

Each Layers-side signal gets a customer that crosses it and a near miss that must not: the near misses
are exactly what the thresholds and the 7-day window are for.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from agent.domain.decisions import Subject
from agent.domain.records import JobEnd
from agent.domain.vocabulary import Action, JobStatus, LoopName, Reason, SubjectType, Tick
from agent.rules.optimization import PoolSnapshot
from agent.store import customers, heartbeats, snapshots
from agent.store import runs as store_runs
from agent.store.db import Database
from tests.integration.ops import runs
from tests.support import builders as b

NOW = datetime.now(UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
JOB_ERRORS = {JobStatus.FAILED: "RENDER_FAILED", JobStatus.TIMED_OUT: "JOB_TIMEOUT"}


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def customer(session: Session, name: str, *, enabled: bool = True) -> int:
    slug = name.lower().replace(" ", "_")
    added = customers.add(session, layers_project_id=f"prj_{slug}", name=name, timezone="UTC")
    added.enabled = enabled
    return added.id


def finished_job(
    session: Session, customer_id: int, finished_at: datetime, status: JobStatus = JobStatus.FAILED
) -> None:
    """A clone whose job ended at `finished_at` (failed unless told otherwise)."""
    clone = b.reserve_clone(
        session, customer_id=customer_id, source_post_id=f"pp_{customer_id}_{finished_at:%d%H%M}"
    )
    b.job(
        session,
        clone,
        job_id=f"job_{clone.container_id[4:]}",
        submitted_at=finished_at - timedelta(minutes=5),
        end=JobEnd(status, finished_at, error_code=JOB_ERRORS.get(status)),
    )


def snapshot(
    session: Session, customer_id: int, day: date, score: float | None, published: int | None
) -> None:
    snapshots.save(
        session,
        customer_id=customer_id,
        day=day,
        snapshot=PoolSnapshot(
            average_organic_score=score, scored_items=12, posts_published_recently=published
        ),
    )


def override(
    session: Session,
    customer_id: int,
    executed_at: datetime | None,
    *,
    status: str = "executed",
    method: str = "PATCH",
    path: str = "/v1/projects/prj_x/ads-content/adc_7",
) -> None:
    """An override of the optimizer proposed for consent, then executed (or left pending, or rejected)."""
    decision = b.decision(
        session,
        customer_id=customer_id,
        loop=LoopName.OPTIMIZATION,
        action=Action.PENDING_APPROVAL,
        reason=Reason.CHANGES_BRAND_CONFIGURATION,
        subject=Subject(SubjectType.RECOMMENDATION, "adc_7"),
        evidence=b.triage(
            recommendation_id="rec_adc_7",
            confidence=0.9,
            method=method,
            endpoint=path,
            subject_type="ads_content",
            subject_id="adc_7",
        ),
    )
    b.propose(session, decision_id=decision, kind="ads_content_override", method=method, path=path, now=NOW)
    if status == "rejected":
        b.reject(session, decision_id=decision, by="ops@example.com", at=NOW)
    elif status == "executed":
        assert executed_at is not None
        b.approve(session, decision_id=decision, by="ops@example.com", at=executed_at)
        b.execute(session, decision_id=decision, at=executed_at, response={"ok": True})


def seed_near_misses(db: Database) -> None:
    """Customers that come close to every threshold without crossing one."""
    with db.session() as session:
        # 3 failures on one day is the threshold, not above it; 2 more the day before; 5 long ago
        acme = customer(session, "Acme Coffee")
        for hour in (9, 10, 11):
            finished_job(session, acme, at(YESTERDAY, hour))
        for hour in (9, 10):
            finished_job(session, acme, at(YESTERDAY - timedelta(days=1), hour))
        for hour in range(9, 14):
            finished_job(session, acme, at(TODAY - timedelta(days=9), hour))
        finished_job(session, acme, at(YESTERDAY, 13), status=JobStatus.COMPLETED)

        # published nothing a week ago, but the latest snapshot has posts again
        bakery = customer(session, "Fresh Start Bakery")
        snapshot(session, bakery, TODAY - timedelta(days=5), 0.30, 0)
        snapshot(session, bakery, TODAY, 0.31, 2)
        # Layers did not say how many posts: unknown is not "none"
        yoga = customer(session, "Tiny Steps Yoga")
        snapshot(session, yoga, TODAY, 0.28, None)

        # an 18% fall inside the window; the high score before it is older than 7 days
        books = customer(session, "Quiet Pages Books")
        snapshot(session, books, TODAY - timedelta(days=10), 0.90, 5)
        snapshot(session, books, TODAY - timedelta(days=6), 0.50, 5)
        snapshot(session, books, TODAY, 0.41, 5)

        # 3 ads-content overrides in 7 days is the threshold; the others are not overrides of this week
        laundry = customer(session, "Loop Laundry")
        for days in (1, 2, 5):
            override(session, laundry, NOW - timedelta(days=days))
        override(session, laundry, NOW - timedelta(days=9))
        override(session, laundry, None, status="rejected")
        override(session, laundry, None, status="pending")
        override(session, laundry, NOW - timedelta(days=1), method="POST")
        override(session, laundry, NOW - timedelta(days=1), path="/v1/projects/prj_x/value-propositions")

        # a paused customer is not watched at all
        paused = customer(session, "Paused Pottery", enabled=False)
        snapshot(session, paused, TODAY, 0.10, 0)
        for hour in range(9, 14):
            finished_job(session, paused, at(YESTERDAY, hour))


def seed_trouble(db: Database) -> None:
    """One customer per signal, each just over its threshold."""
    with db.session() as session:
        bikes = customer(session, "Blue Bottle Bikes")
        for hour in (8, 12, 16):
            finished_job(session, bikes, at(YESTERDAY, hour))
        # a timeout is a failure too
        finished_job(session, bikes, at(YESTERDAY, 20), status=JobStatus.TIMED_OUT)

        candles = customer(session, "Cedar Candles")
        snapshot(session, candles, TODAY - timedelta(days=4), 0.42, 3)
        snapshot(session, candles, TODAY - timedelta(days=1), 0.40, 0)

        grooming = customer(session, "Delta Dog Grooming")
        snapshot(session, grooming, TODAY - timedelta(days=6), 0.50, 6)
        snapshot(session, grooming, TODAY - timedelta(days=3), 0.45, 6)
        snapshot(session, grooming, TODAY, 0.38, 6)

        eats = customer(session, "Evergreen Eats")
        for days in (1, 2, 3, 6):
            override(session, eats, NOW - timedelta(days=days))


def beat_alive(db: Database, *, dispatch_ago: timedelta = timedelta(seconds=30)) -> None:
    """Beat's ticks ran to the end just now (the dispatcher `dispatch_ago`): now, not when the module was
    imported (the command compares with its own clock, and a long test session runs before this test)."""
    now = datetime.now(UTC)
    with db.session() as session:
        heartbeats.seen(session, name=Tick.SWEEP, now=now)
        heartbeats.seen(session, name=Tick.DISPATCH, now=now - dispatch_ago)


def health(cli, *args: str) -> tuple[int, dict]:
    result = cli("health", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def signal_rows(document: dict) -> dict[str, str]:
    """customer -> "signal detail" for every customer signal."""
    return {
        s["customer"]: f"{s['signal']} {s['detail']}" for s in document["signals"] if s["scope"] == "customer"
    }


def test_a_healthy_fleet_exits_0(cli, db):
    seed_near_misses(db)
    beat_alive(db)
    result = cli("health")
    assert result.exit_code == 0, result.output
    assert result.stdout == "healthy: no signal crossed its threshold\n"
    code, document = health(cli)
    assert (code, document["healthy"], document["signals"]) == (0, True, [])


def test_every_signal_crossed_is_named_and_exits_1(cli, db):
    seed_near_misses(db)
    seed_trouble(db)
    beat_alive(db)
    code, document = health(cli)
    assert code == 1
    assert signal_rows(document) == {
        "Blue Bottle Bikes": f"job_failures 4 failed jobs on {YESTERDAY} (threshold 3)",
        "Cedar Candles": "no_recent_posts no post published in 14 days",
        "Delta Dog Grooming": "organic_score_dropping average organic score fell 24% (0.50 -> 0.38)",
        "Evergreen Eats": "frequent_overrides 4 optimizer overrides in 7 days (threshold 3)",
    }
    table = cli("health").stdout.splitlines()
    assert table[0] == "health: 4 signal(s)"
    assert any(line.startswith("customer  Cedar Candles") and "no_recent_posts" in line for line in table)


@pytest.mark.parametrize(
    ("setting", "value", "quiet"),
    [
        ("HEALTH_MAX_JOB_FAILURES_PER_DAY", "4", "Blue Bottle Bikes"),
        ("HEALTH_MAX_OVERRIDES_PER_WEEK", "4", "Evergreen Eats"),
        ("HEALTH_SCORE_DROP_RATIO", "0.25", "Delta Dog Grooming"),
    ],
)
def test_thresholds_come_from_the_settings(cli, db, monkeypatch, setting, value, quiet):
    seed_trouble(db)
    beat_alive(db)
    monkeypatch.setenv(setting, value)
    code, document = health(cli)
    assert code == 1
    names = set(signal_rows(document))
    assert quiet not in names
    assert len(names) == 3


def agent_signals(document: dict) -> list[str]:
    return [s["signal"] for s in document["signals"] if s["scope"] == "agent"]


def test_beat_not_seen_and_a_late_dispatcher(cli, db):
    code, document = health(cli)
    assert (code, agent_signals(document)) == (1, ["beat_not_seen"])
    assert document["agent"]["last_dispatch"] is None
    beat_alive(db, dispatch_ago=timedelta(minutes=11))  # two 5-minute intervals and more
    code, document = health(cli)
    assert (code, agent_signals(document)) == (1, ["no_dispatch"])
    beat_alive(db, dispatch_ago=timedelta(minutes=9))
    code, document = health(cli)
    assert (code, document["healthy"]) == (0, True)


def test_failed_and_stuck_runs_and_one_customer(cli, db):
    beat_alive(db)
    with db.session() as session:
        bikes, eats = customer(session, "Blue Bottle Bikes"), customer(session, "Evergreen Eats")
        runs.failed(
            session, customer_id=bikes, loop=LoopName.OPTIMIZATION, started=NOW - timedelta(hours=2),
            took=timedelta(seconds=3), attempts=1, error="HTTP 403 FORBIDDEN",
        )  # fmt: skip
        # claimed three hours ago on a five-minute lease: its worker died and no sweep handed it on
        stuck = store_runs.ensure(
            session, customer_id=eats, loop=LoopName.PUBLISH_TO_LEARN, local_date=TODAY
        ).id
        store_runs.claim(session, run_id=stuck, now=NOW - timedelta(hours=3), lease_s=300, max_attempts=5)
    code, document = health(cli)
    assert code == 1
    assert agent_signals(document) == ["failed_runs", "stuck_runs"]
    assert (document["agent"]["failed_runs_last_day"], document["agent"]["stuck_runs"]) == (1, 1)
    code, only_eats = health(cli, "--customer", "Evergreen Eats")
    assert (code, agent_signals(only_eats)) == (1, ["stuck_runs"])
    assert {s["customer"] for s in only_eats["signals"]} == {"Evergreen Eats"}
    assert cli("health", "--customer", "Nobody").exit_code == 2
