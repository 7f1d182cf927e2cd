"""When a customer's daily (and weekly) run is due, in the customer's own timezone.

The dispatcher asks "is today's run due?" every few minutes with the current instant. Catch-up is implicit:
once local time has reached ``run_at`` the run stays due for the rest of that local day, so a beat that was
down for hours still runs today; recording the run (and refusing a second one for the same local date) is
the database's job, not this module's.

DST, decided explicitly:
- ``run_at`` inside a skipped hour (02:30 on a spring-forward day) is due once the wall clock passes it,
  i.e. from the first instant after the gap (03:00 local); the run is not lost and does not wait an hour.
- ``run_at`` inside a repeated hour (01:30 on a fall-back day) is due from its first occurrence and stays
  due through the repeat, which still names the same local date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Present in the tz database directory but not customer timezones: host-dependent or placeholders.
_NOT_CUSTOMER_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_CUSTOMER_ZONES


def validate_timezone(name: str) -> str:
    """The name, if it is an IANA timezone (e.g. ``Europe/Berlin``); ValueError otherwise."""
    if not isinstance(name, str) or name not in _known_zones():
        raise ValueError(f"unknown timezone {name!r}: expected an IANA name such as 'Europe/Berlin' or 'UTC'")
    return name


def local_date(now_utc: datetime, tz: str) -> date:
    """The customer's calendar date at this instant."""
    return _local(now_utc, tz).date()


def due_local_date(now_utc: datetime, tz: str, run_at: time) -> date | None:
    """The local date whose daily run is due at this instant, or None before ``run_at`` local time."""
    if run_at.tzinfo is not None:
        raise ValueError("run_at is a local wall-clock time and must not carry a tzinfo")
    now_local = _local(now_utc, tz)
    today = now_local.date()
    # fold=0 names the first occurrence of a repeated wall time, whatever fold run_at came with.
    scheduled = datetime.combine(today, run_at.replace(fold=0), tzinfo=now_local.tzinfo)
    if _is_skipped(scheduled):
        # No instant shows run_at; compare wall clocks, which jump straight past it.
        due = now_local.replace(tzinfo=None) >= scheduled.replace(tzinfo=None)
    else:
        # Compare instants: a same-tzinfo comparison would ignore fold and un-due the repeated hour.
        due = now_local.astimezone(UTC) >= scheduled.astimezone(UTC)
    return today if due else None


def weekly_due(now_utc: datetime, tz: str, run_at: time, weekday: int) -> date | None:
    """Like ``due_local_date`` but only on the given local weekday (0 = Monday)."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
    due = due_local_date(now_utc, tz, run_at)
    return due if due is not None and due.weekday() == weekday else None


def _local(now_utc: datetime, tz: str) -> datetime:
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    return now_utc.astimezone(ZoneInfo(validate_timezone(tz)))


def _is_skipped(local: datetime) -> bool:
    """True when this wall-clock time never happens (it falls in a spring-forward gap)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) != local.replace(tzinfo=None)
