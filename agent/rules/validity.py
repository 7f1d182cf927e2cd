"""Impossible numbers are not judged: a top-performers row whose engagement rate is outside [0, 1], whose
views are negative, whose numbers are not finite, or whose post id repeats.

Such a post gets `skip / invalid_metrics` with the raw values as evidence and does not count toward the
median, so one broken row can neither become a breakout nor move the bar for the others. Non-finite numbers
never reach the JSON evidence: they are named in the problems instead (JSON, and PostgreSQL, cannot hold
them).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from agent.domain.decisions import Decided, Subject
from agent.domain.learn_evidence import InvalidMetrics, RawRow
from agent.domain.vocabulary import Action, Reason, SubjectType


class Row(Protocol):
    """What the screen reads of a row (`agent.rules.publish.PostPerformance`)."""

    @property
    def platform_post_id(self) -> str | None: ...
    @property
    def views(self) -> float | None: ...
    @property
    def engagement_rate(self) -> float | None: ...
    @property
    def rank(self) -> int | None: ...


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def problems(row: Row) -> list[str]:
    """What is impossible about one row's numbers (empty when nothing is)."""
    found = []
    for name, value in (("views", row.views), ("engagement_rate", row.engagement_rate)):
        if value is not None and not math.isfinite(value):
            found.append(f"{name} {value} is not a finite number")
    rate, views = _finite(row.engagement_rate), _finite(row.views)
    if rate is not None and not 0 <= rate <= 1:
        found.append(f"engagement_rate {rate:g} is outside [0, 1]")
    if views is not None and views < 0:
        found.append(f"views {views:g} is negative")
    return found


RowT = TypeVar("RowT", bound=Row)


@dataclass(frozen=True)
class Screened(Generic[RowT]):
    """The rows that may be judged, and one decision per post whose numbers are impossible."""

    valid: tuple[RowT, ...]
    invalid: Mapping[str, Decided]


def screen(rows: Sequence[RowT]) -> Screened[RowT]:
    """Split the rows: a post with any impossible row (or more than one row) is not judged at all."""
    counts = Counter(row.platform_post_id for row in rows if row.platform_post_id)
    found: dict[str, list[str]] = {}
    raw: dict[str, list[RawRow]] = {}
    for row in rows:
        post_id = row.platform_post_id
        if not post_id:
            continue
        issues = problems(row)
        if counts[post_id] > 1 and not found.get(post_id):
            issues.insert(0, f"the post appears {counts[post_id]} times")
        if issues or post_id in found:
            found.setdefault(post_id, []).extend(issues)
        raw.setdefault(post_id, []).append(
            RawRow(rank=row.rank, views=_finite(row.views), engagement_rate=_finite(row.engagement_rate))
        )
    invalid = {
        post_id: Decided(
            action=Action.SKIP,
            reason=Reason.INVALID_METRICS,
            subject=Subject(SubjectType.PLATFORM_POST, post_id),
            evidence=InvalidMetrics(post_id=post_id, problems=tuple(issues), rows=tuple(raw[post_id])),
            key=f"post:{post_id}",
        )
        for post_id, issues in found.items()
    }
    valid = tuple(row for row in rows if not (row.platform_post_id and row.platform_post_id in invalid))
    return Screened(valid=valid, invalid=invalid)


# ---- keeping impossible numbers in a run's record (JSON holds no NaN or infinity) -----------------------

NUMBERS = ("views", "engagement_rate", "conversions", "roas")


def json_number(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def json_count(value: float | None) -> int | None:
    """Views as a record keeps them: whole (floor keeps a negative count negative), None if not finite."""
    return math.floor(value) if value is not None and math.isfinite(value) else None


def non_finite(row: Any, names: Sequence[str]) -> tuple[str, ...]:
    """The named numbers of `row` that JSON cannot hold."""
    return tuple(
        name for name in names if (value := getattr(row, name)) is not None and not math.isfinite(value)
    )


def restored(non_finite_names: Sequence[str], name: str, value: float | None) -> float | None:
    """A recorded number back for a replay: a non-finite one comes back as NaN, still impossible."""
    return math.nan if name in non_finite_names else value
