"""The dispatcher creates exactly one run per customer, loop and local date, on the customer's clock."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from agent.domain.vocabulary import LoopName
from agent.rules.schedule import due_local_date
from agent.store import customers, runs
from agent.store.dispatch import create_due_runs, lock_pending, lock_unsent, mark_sent, queued_ids
from agent.store.models import Run

TICK = timedelta(minutes=15)  # every run time below is on a quarter hour

# (name, timezone, run_at): the edges of the world and both DST directions in two hemispheres' rules.
CUSTOMERS = [
    ("Kiritimati Kites", "Pacific/Kiritimati", time(6, 0)),  # UTC+14
    ("Baker Island Buoys", "Etc/GMT+12", time(6, 0)),  # UTC-12
    ("LA Gap", "America/Los_Angeles", time(2, 30)),  # skipped on 2026-03-08
    ("LA Fold", "America/Los_Angeles", time(1, 30)),  # repeated on 2026-11-01
    ("Berlin Gap", "Europe/Berlin", time(2, 30)),  # skipped on 2026-03-29
    ("Berlin Fold", "Europe/Berlin", time(2, 30)),  # repeated on 2026-10-25
    ("Berlin Breakfast", "Europe/Berlin", time(8, 0)),
]


def _add_all(db):
    with db.session() as session:
        for index, (name, tz, run_at) in enumerate(CUSTOMERS):
            customers.add(session, layers_project_id=f"prj_{index}", name=name, timezone=tz, run_at=run_at)


def _drive(db, start, end, step=TICK):
    now = start
    while now <= end:
        with db.session() as session:
            create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=now)
            created_at = session.execute(select(func.count()).select_from(Run)).scalar_one()
        yield now, created_at
        now += step


def _runs(db):
    with db.session() as session:
        rows = session.execute(select(Run.customer_id, Run.local_date, Run.loop)).all()
        names = dict(session.execute(select(customers.Customer.id, customers.Customer.name)).tuples().all())
    return [(names[c], d, loop) for c, d, loop in rows]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(
            datetime(2026, 3, 7, 0, tzinfo=UTC), datetime(2026, 3, 10, 0, tzinfo=UTC), id="LA-spring-forward"
        ),
        pytest.param(
            datetime(2026, 10, 31, 0, tzinfo=UTC), datetime(2026, 11, 3, 0, tzinfo=UTC), id="LA-fall-back"
        ),
        pytest.param(
            datetime(2026, 3, 28, 0, tzinfo=UTC),
            datetime(2026, 3, 31, 0, tzinfo=UTC),
            id="Berlin-spring-forward",
        ),
        pytest.param(
            datetime(2026, 10, 24, 0, tzinfo=UTC),
            datetime(2026, 10, 27, 0, tzinfo=UTC),
            id="Berlin-fall-back",
        ),
    ],
)
def test_exactly_one_run_per_local_date_across_dst(db, start, end):
    _add_all(db)
    for _ in _drive(db, start, end):
        pass
    runs = _runs(db)
    assert len(runs) == len(set(runs)), "a customer got two runs for one local date"
    for name, tz, run_at in CUSTOMERS:
        # Every local date whose run time passed inside the window has its run, and only those.
        expected = {
            due_local_date(t, tz, run_at)
            for t in (start + TICK * i for i in range(int((end - start) / TICK) + 1))
        } - {None}
        assert {d for n, d, _ in runs if n == name} == expected, name


def test_the_dispatcher_agrees_with_the_pure_rule_at_every_tick(db):
    _add_all(db)
    # The night LA falls back (08:00-10:00 UTC) and the morning after, minute by minute at the fold.
    start, end = datetime(2026, 11, 1, 7, 50, tzinfo=UTC), datetime(2026, 11, 1, 10, 10, tzinfo=UTC)
    seen = set()
    for now, _ in _drive(db, start, end, step=timedelta(minutes=2)):
        due_now = {(name, due_local_date(now, tz, run_at)) for name, tz, run_at in CUSTOMERS} - {
            (name, None) for name, *_ in CUSTOMERS
        }
        seen |= due_now
        assert {(n, d) for n, d, _ in _runs(db)} == seen, now


def test_a_beat_that_was_down_for_hours_catches_up_the_same_day(db):
    _add_all(db)
    with db.session() as session:
        # Berlin breakfast is at 08:00 local (07:00 UTC in winter); the beat only comes back at 15:00 UTC.
        create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert ("Berlin Breakfast", datetime(2026, 12, 1).date(), "publish_to_learn") in _runs(db)


def test_two_beats_at_once_create_one_run_each(db):
    _add_all(db)
    now = datetime(2026, 12, 1, 23, tzinfo=UTC)
    with db.session() as first, db.session() as second:
        created = create_due_runs(first, loop=LoopName.PUBLISH_TO_LEARN, now=now)
        first.commit()
        created_again = create_due_runs(second, loop=LoopName.PUBLISH_TO_LEARN, now=now)
    assert created > 0
    assert created_again == 0


def test_paused_customers_are_skipped(db):
    _add_all(db)
    with db.session() as session:
        customers.find(session, ref="Berlin Breakfast").enabled = False
    with db.session() as session:
        create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert "Berlin Breakfast" not in {name for name, *_ in _runs(db)}


def test_optimization_waits_for_the_same_day_publish_run(db):
    _add_all(db)
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    with db.session() as session:
        create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=now)
        assert (
            create_due_runs(session, loop=LoopName.OPTIMIZATION, now=now, after=LoopName.PUBLISH_TO_LEARN)
            == 0
        )
        session.execute(Run.__table__.update().values(status="succeeded"))
        assert (
            create_due_runs(session, loop=LoopName.OPTIMIZATION, now=now, after=LoopName.PUBLISH_TO_LEARN) > 0
        )


def test_runs_left_unsent_by_a_crash_are_sent_by_the_next_sweep(db):
    _add_all(db)
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    with db.session() as session:
        created = create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=now)
    # The dispatcher dies here, after the insert committed and before anything was enqueued.
    sent = []
    with db.session() as session:
        ids = lock_unsent(session, now=now, resend_after_s=7200, limit=100)
        sent.extend(ids)
        mark_sent(session, run_ids=ids, now=now)
    assert len(sent) == created
    with db.session() as session:
        assert lock_unsent(session, now=now + timedelta(minutes=5), resend_after_s=7200, limit=100) == []


# ---- lost messages and the hand-off (issues 11, 12) ---------------------------------------------------


def _sent(db, now, *, count=3):
    _add_all(db)
    with db.session() as session:
        create_due_runs(session, loop=LoopName.PUBLISH_TO_LEARN, now=now)
        ids = lock_unsent(session, now=now, resend_after_s=None, limit=100)[:count]
        mark_sent(session, run_ids=ids, now=now - timedelta(hours=5))
    return ids


def test_a_long_queued_run_is_resent_only_when_the_broker_lost_its_message(db):
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    queued = _sent(db, now)
    with db.session() as session:
        assert queued_ids(session, limit=100) == sorted(queued)
        # Queued five hours ago: a backlog, not a loss, unless the broker says so.
        assert set(queued) - set(lock_unsent(session, now=now, resend_after_s=None, limit=100)) == set(queued)
    with db.session() as session:
        assert queued[1] in lock_unsent(session, now=now, resend_after_s=None, limit=100, lost=[queued[1]])
    with db.session() as session:  # without a broker that can tell, the age rule still holds
        assert set(queued) <= set(lock_unsent(session, now=now, resend_after_s=7200, limit=100))


def test_a_running_run_whose_lease_is_renewed_is_not_handed_on(db):
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    run_id = _sent(db, now, count=1)[0]
    with db.session() as session:
        assert runs.claim(session, run_id=run_id, now=now, lease_s=60, max_attempts=5).run is not None
    later = now + timedelta(seconds=50)
    with db.session() as session:
        runs.renew_leases(session, run_ids=[run_id], now=later, lease_s=60)
    with db.session() as session:
        assert run_id not in lock_unsent(
            session, now=now + timedelta(seconds=90), resend_after_s=None, limit=100
        )
        assert run_id in lock_unsent(
            session, now=now + timedelta(seconds=111), resend_after_s=None, limit=100
        )


def test_the_hand_off_creates_one_optimization_run_even_when_the_dispatcher_races_it(db):
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    publish = _sent(db, now, count=1)[0]
    with db.session() as session:
        session.execute(update(Run).where(Run.id == publish).values(status="succeeded"))
    with db.session() as first, db.session() as second:
        handed = runs.start_next(first, run_id=publish, loop=LoopName.OPTIMIZATION)
        first.commit()
        created = create_due_runs(
            second, loop=LoopName.OPTIMIZATION, now=now, after=LoopName.PUBLISH_TO_LEARN
        )
        again = runs.start_next(second, run_id=publish, loop=LoopName.OPTIMIZATION)
    assert handed is not None
    assert again is None
    with db.session() as session:
        mine = session.scalars(select(Run).where(Run.loop == "optimization")).all()
        customer = session.get_one(Run, publish).customer_id
        assert [(r.customer_id, r.status) for r in mine if r.customer_id == customer] == [
            (customer, "pending")
        ]
        assert created == len(mine) - 1  # the dispatcher made everyone else's, not this one twice
        assert lock_pending(session, run_ids=[handed]) == [handed]


def test_a_manual_or_paused_customers_run_hands_off_nothing(db):
    now = datetime(2026, 12, 1, 15, tzinfo=UTC)
    first, second = _sent(db, now, count=2)
    with db.session() as session:
        session.execute(update(Run).where(Run.id == first).values(trigger="manual"))
        paused = session.get_one(Run, second).customer_id
        session.execute(
            update(customers.Customer).where(customers.Customer.id == paused).values(enabled=False)
        )
    with db.session() as session:
        assert runs.start_next(session, run_id=first, loop=LoopName.OPTIMIZATION) is None
        assert runs.start_next(session, run_id=second, loop=LoopName.OPTIMIZATION) is None
