"""What each run saw, kept with its plan (one row per run): the ops `why` command and backtests read it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.domain.evidence import Evidence
from agent.domain.records import RunRecord
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import LoopName
from agent.store.dialect import insert
from agent.store.models import RunInput


def save(session: Session, *, run: RunRecord, rule_version: str | None, record: Evidence) -> None:
    """Keep the first record of a run (a resumed run never plans twice, so there is only one)."""
    session.execute(
        insert(session, RunInput)
        .values(
            run_id=run.id,
            customer_id=run.customer_id,
            loop=run.loop,
            local_date=run.local_date,
            rule_version=rule_version,
            record=record.to_json(),
        )
        .on_conflict_do_nothing(index_elements=["run_id"])
    )


def for_customers(
    session: Session,
    *,
    loop: LoopName,
    customer_ids: list[int] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[RunInput]:
    """The records of one loop's runs, oldest first, optionally for some customers and local dates."""
    query = select(RunInput).where(RunInput.loop == loop).order_by(RunInput.local_date, RunInput.run_id)
    if customer_ids is not None:
        query = query.where(RunInput.customer_id.in_(customer_ids))
    if since is not None:
        query = query.where(RunInput.local_date >= since)
    if until is not None:
        query = query.where(RunInput.local_date <= until)
    return list(session.scalars(query))


def publish_input_of_day(session: Session, *, customer_id: int, local_date: date) -> PublishInput | None:
    """The customer's publish-to-learn record of that local date (one run per customer, loop and day)."""
    record = session.scalars(
        select(RunInput.record).where(
            RunInput.customer_id == customer_id,
            RunInput.loop == LoopName.PUBLISH_TO_LEARN,
            RunInput.local_date == local_date,
        )
    ).first()
    return PublishInput.from_json(record) if record is not None else None
