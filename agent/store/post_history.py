"""Every run that saw a post, from the runs' own records (`run_inputs`): `agent why POST` for any post and
any day, not only the few that got a decision of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from agent.domain.ids import bare_id
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import LoopName, SubjectType
from agent.store.models import Customer, Decision, RunInput
from agent.store.reports import same_subject


@dataclass(frozen=True)
class Seen:
    """One publish-to-learn run's record that holds the post, and the decision it got that day (if any)."""

    run_id: int
    local_date: date
    rule_version: str | None
    customer_id: int
    customer: str
    record: PublishInput
    decision_id: int | None


def runs_that_saw(
    session: Session,
    *,
    post: str,
    customer_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    run_id: int | None = None,
) -> list[Seen]:
    """The records that hold the post (prefixed or bare), newest day first."""
    query = (
        select(RunInput, Customer.name)
        .join(Customer, Customer.id == RunInput.customer_id)
        .where(RunInput.loop == LoopName.PUBLISH_TO_LEARN)
        # a cheap first cut on the stored text; the records are then read to match the id exactly
        .where(cast(RunInput.record, String).contains(bare_id(post) or post, autoescape=True))
        .order_by(RunInput.local_date.desc(), RunInput.run_id.desc())
    )
    if customer_id is not None:
        query = query.where(RunInput.customer_id == customer_id)
    if since is not None:
        query = query.where(RunInput.local_date >= since)
    if until is not None:
        query = query.where(RunInput.local_date <= until)
    if run_id is not None:
        query = query.where(RunInput.run_id == run_id)
    found = list(session.execute(query).tuples())
    decided = _decisions(session, post, [row.run_id for row, _ in found])
    return [
        Seen(
            row.run_id,
            row.local_date,
            row.rule_version,
            row.customer_id,
            name,
            PublishInput.from_json(row.record),
            decided.get(row.run_id),
        )
        for row, name in found
    ]


def _decisions(session: Session, post: str, run_ids: list[int]) -> dict[int, int]:
    if not run_ids:
        return {}
    rows = select(Decision.run_id, Decision.id).where(
        Decision.run_id.in_(run_ids),
        Decision.subject_type == SubjectType.PLATFORM_POST,
        same_subject(Decision.subject_id, post),
    )
    return {run: decision for run, decision in session.execute(rows).tuples() if run is not None}
