"""What ops type for a time or a day: `7d`, `24h`, `30m`, `1w`, `today`, `yesterday`, `2026-11-01` or a full
ISO time; a typo or an impossible window is one line that lists the accepted forms (exit 2)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.cli.exits import BadInput

RELATIVE = re.compile(r"^(\d+)([wdhm])$")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
FORMS = "7d, 24h, 30m, 1w, today, yesterday, a date like 2026-11-01 or an ISO time"


def _day(text: str, today: date) -> date | None:
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _midnight(day: date, tz: str = "UTC") -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def instant(option: str, value: str, *, now: datetime, end_of_day: bool = False) -> datetime:
    """The UTC instant `value` names; a day is its UTC midnight (`end_of_day`: the next midnight)."""
    text = value.strip().lower()
    match = RELATIVE.match(text)
    if match:
        try:
            return now - timedelta(**{UNITS[match[2]]: int(match[1])})
        except OverflowError:
            raise BadInput(f"{option} {value!r} reaches further back than any date; try e.g. 90d") from None
    day = _day(text, now.astimezone(UTC).date())
    if day is not None:
        return _midnight(day + timedelta(days=1) if end_of_day else day)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{option} {value!r}: use {FORMS}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_day(option: str, value: str, *, today: date) -> date:
    """A calendar date: `today`, `yesterday` (relative to `today`) or YYYY-MM-DD."""
    day = _day(value.strip().lower(), today)
    if day is None:
        raise BadInput(f"{option} {value!r}: use today, yesterday or a date like 2026-11-01")
    return day


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where the calendar day `day` begins and ends in timezone `tz`."""
    return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
