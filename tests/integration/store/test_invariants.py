"""The invariants that matter are enforced by PostgreSQL itself, whatever Python does."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from agent.domain.decisions import NewDecision, Subject
from agent.domain.evidence import NoEvidence
from agent.domain.records import NewClone
from agent.domain.vocabulary import Action, CloneOrigin, LoopName, Reason, SubjectType, WorkKind, WorkStatus
from agent.store import clones, customers, runs, work
from agent.store.decisions import record
from agent.store.models import Clone, Run

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def acme(db):
    with db.session() as session:
        return customers.add(session, layers_project_id="prj_acme", name="Acme Coffee", timezone="UTC").id


def _reserve(db, customer_id, source="pp_winner"):
    new = NewClone(
        customer_id=customer_id,
        run_id=None,
        loop=LoopName.PUBLISH_TO_LEARN,
        source_post_id=source,
        origin=CloneOrigin.BREAKOUT,
        mode="fork",
        variations=2,
    )
    with db.session() as session:
        clone = clones.reserve(session, new=new)
        return None if clone is None else (clone.spec.slot, clone.container_id, clone.idempotency_key)


def test_a_source_gets_five_clones_and_never_a_sixth(db, acme):
    taken = [_reserve(db, acme) for _ in range(6)]
    assert [t[0] for t in taken[:5]] == [1, 2, 3, 4, 5]
    assert taken[5] is None
    with db.session() as session:
        assert clones.counts(session, customer_id=acme) == {"pp_winner": 5}


def test_the_database_refuses_a_sixth_slot_or_a_shared_one(db, acme):
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(
            Clone(
                customer_id=acme,
                loop="publish_to_learn",
                source_post_id="pp_x",
                slot=6,
                container_id="c6",
                idempotency_key="k6",
                mode="fork",
                variations=2,
            )
        )
    _reserve(db, acme, "pp_x")
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(
            Clone(
                customer_id=acme,
                loop="publish_to_learn",
                source_post_id="pp_x",
                slot=1,
                container_id="c1",
                idempotency_key="k1",
                mode="fork",
                variations=2,
            )
        )


def test_concurrent_reservations_never_exceed_five(db, acme):
    results, barrier = [], threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(_reserve(db, acme))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted = [r for r in results if r is not None]
    assert len(granted) == 5
    assert sorted(slot for slot, *_ in granted) == [1, 2, 3, 4, 5]
    assert len({container for _, container, _ in granted}) == 5


def test_a_failed_clone_gives_its_slot_back(db, acme):
    for _ in range(5):
        _reserve(db, acme)
    with db.session() as session:
        clone = session.query(Clone).filter_by(slot=3).one()
        work.finish(
            session, kind=WorkKind.CLONE, work_id=clone.id, status=WorkStatus.FAILED, now=NOW, error_code="X"
        )
    assert _reserve(db, acme)[0] == 3
    with db.session() as session:
        assert clones.counts(session, customer_id=acme) == {"pp_winner": 5}


def test_one_run_per_customer_loop_and_local_date(db, acme):
    day = date(2026, 11, 28)
    with db.session() as session:
        first = runs.ensure(session, customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, local_date=day).id
    with db.session() as session:
        again = runs.ensure(session, customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, local_date=day).id
    assert first == again
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Run(customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, local_date=day))


def test_only_one_worker_claims_a_run(db, acme):
    with db.session() as session:
        run_id = runs.ensure(
            session, customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, local_date=date(2026, 11, 28)
        ).id
    with db.session() as session:
        first = runs.claim(session, run_id=run_id, now=NOW, lease_s=60, max_attempts=5)
    with db.session() as session:
        second = runs.claim(session, run_id=run_id, now=NOW, lease_s=60, max_attempts=5)
    assert first.run is not None
    assert second.run is None
    assert second.reason == "held_by_another_worker"


def test_a_poison_run_gives_up_after_its_attempts(db, acme):
    with db.session() as session:
        run_id = runs.ensure(
            session, customer_id=acme, loop=LoopName.PUBLISH_TO_LEARN, local_date=date(2026, 11, 28)
        ).id
    for attempt in range(3):
        with db.session() as session:
            assert runs.claim(session, run_id=run_id, now=NOW, lease_s=60, max_attempts=3).run is not None
            runs.release(session, run_id=run_id, error=f"boom {attempt}", give_back_attempt=False)
    with db.session() as session:
        claim = runs.claim(session, run_id=run_id, now=NOW, lease_s=60, max_attempts=3)
    assert claim.reason == "attempts_exhausted"
    with db.session() as session:
        assert runs.get(session, run_id=run_id).status == "failed"


def test_decisions_are_append_only(db, acme):
    with db.session() as session:
        decision_id = record(
            session,
            NewDecision(
                customer_id=acme,
                loop=LoopName.PUBLISH_TO_LEARN,
                action=Action.SKIP,
                reason=Reason.CUSTOMER_PAUSED,
                subject=Subject(SubjectType.RUN, "1"),
                evidence=NoEvidence(),
            ),
        )
    with pytest.raises(ProgrammingError, match="append-only"), db.session() as session:
        session.execute(text("UPDATE decisions SET reason = 'tampered' WHERE id = :id"), {"id": decision_id})
    with pytest.raises(ProgrammingError, match="append-only"), db.session() as session:
        session.execute(text("DELETE FROM decisions WHERE id = :id"), {"id": decision_id})


def test_recording_the_same_decision_twice_keeps_one(db, acme):
    new = NewDecision(
        customer_id=acme,
        loop=LoopName.PUBLISH_TO_LEARN,
        action=Action.SKIP,
        reason=Reason.CUSTOMER_PAUSED,
        subject=Subject(SubjectType.RUN, "1"),
        evidence=NoEvidence(),
        dedupe_key="run:1:paused",
    )
    with db.session() as session:
        first = record(session, new)
    with db.session() as session:
        second = record(session, new)
        count = session.execute(text("SELECT count(*) FROM decisions")).scalar_one()
    assert first == second
    assert count == 1
