"""Rules replay on history: recorded publish-to-learn inputs run again through the pure rules, with changed
thresholds, and every post whose verdict would differ from the one recorded that day.

No API is called and nothing is written: each recorded day already holds every post the run saw, with the
numbers the rules used, the clone counts and the clone verdicts known that day. Days replay in order per
customer, so a clone the changed rules add (or remove) counts toward its source's cap on the days after.
With nothing changed, the replay gives exactly the recorded verdicts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import Reason
from agent.rules.publish import evaluate_publish, replay_posts
from agent.rules.thresholds import Thresholds

CLONED = Reason.BREAKOUT  # a post's verdict is `breakout` exactly when the run cloned it


@dataclass(frozen=True)
class RecordedDay:
    customer_id: int
    local_date: date
    run_id: int
    record: PublishInput


@dataclass(frozen=True)
class Difference:
    customer_id: int
    local_date: date
    post_id: str
    recorded: Reason | None
    replayed: Reason | None

    @property
    def clone_added(self) -> bool:
        return self.replayed is CLONED and self.recorded is not CLONED

    @property
    def clone_removed(self) -> bool:
        return self.recorded is CLONED and self.replayed is not CLONED


@dataclass(frozen=True)
class CustomerTotals:
    days: int = 0
    changed: int = 0
    clones_added: int = 0
    clones_removed: int = 0


@dataclass(frozen=True)
class Backtest:
    days: int
    differences: tuple[Difference, ...]
    totals: Mapping[int, CustomerTotals]

    @property
    def clones_added(self) -> int:
        return sum(t.clones_added for t in self.totals.values())

    @property
    def clones_removed(self) -> int:
        return sum(t.clones_removed for t in self.totals.values())


def recorded_thresholds(record: PublishInput) -> Thresholds:
    """The thresholds in force that day (a threshold added since takes its default)."""
    known = {f.name for f in dataclasses.fields(Thresholds)}
    return Thresholds().with_overrides({name: v for name, v in record.thresholds.items() if name in known})


def recorded_verdicts(record: PublishInput) -> dict[str, Reason]:
    return {seen.post_id: seen.verdict for seen in record.posts if seen.post_id and seen.verdict}


def replay_day(
    record: PublishInput, thresholds: Thresholds, clone_counts: Mapping[str, int]
) -> dict[str, Reason]:
    """One recorded day's verdicts under `thresholds`."""
    return dict(evaluate_publish(replay_posts(record), clone_counts, thresholds, record.outcomes).verdicts)


def replay(days: Sequence[RecordedDay], changes: Mapping[str, Any]) -> Backtest:
    """Every recorded day again with `changes` applied on top of that day's thresholds (validated by
    `Thresholds.with_overrides`: an unknown name or an out-of-range value is a ValueError)."""
    differences: list[Difference] = []
    totals: dict[int, Counter[str]] = {}
    # clones the replay made minus those the day made, per (customer, source): they count toward the cap
    delta: Counter[tuple[int, str]] = Counter()
    for day in sorted(days, key=lambda d: (d.customer_id, d.local_date, d.run_id)):
        record = day.record
        counts = {
            source: max(0, record.clone_counts.get(source, 0) + delta[(day.customer_id, source)])
            for source in {*record.clone_counts, *(s for c, s in delta if c == day.customer_id)}
        }
        before = recorded_verdicts(record)
        after = replay_day(record, recorded_thresholds(record).with_overrides(changes), counts)
        tally = totals.setdefault(day.customer_id, Counter())
        tally["days"] += 1
        for post_id in sorted({*before, *after}):
            was, now = before.get(post_id), after.get(post_id)
            if was == now:
                continue
            difference = Difference(day.customer_id, day.local_date, post_id, was, now)
            differences.append(difference)
            tally["changed"] += 1
            if difference.clone_added:
                tally["clones_added"] += 1
                delta[(day.customer_id, post_id)] += 1
            elif difference.clone_removed:
                tally["clones_removed"] += 1
                delta[(day.customer_id, post_id)] -= 1
    return Backtest(
        days=len(days),
        differences=tuple(differences),
        totals={customer: CustomerTotals(**tally) for customer, tally in totals.items()},
    )
