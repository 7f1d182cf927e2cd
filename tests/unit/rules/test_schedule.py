from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agent.rules.schedule import due_local_date, local_date, validate_timezone, weekly_due

LA = "America/Los_Angeles"
BERLIN = "Europe/Berlin"
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
GMT_MINUS_12 = "Etc/GMT+12"  # POSIX sign: UTC-12


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "run_at", "expected"),
    [
        # UTC+14: the local day starts while most of the world is still on yesterday.
        pytest.param(utc(2026, 5, 31, 18, 59), KIRITIMATI, time(9), None, id="kiritimati-before"),
        pytest.param(utc(2026, 5, 31, 19, 0), KIRITIMATI, time(9), date(2026, 6, 1), id="kiritimati-at"),
        pytest.param(
            utc(2026, 6, 1, 9, 59), KIRITIMATI, time(9), date(2026, 6, 1), id="kiritimati-last-minute"
        ),
        pytest.param(utc(2026, 6, 1, 10, 0), KIRITIMATI, time(9), None, id="kiritimati-next-midnight"),
        # UTC-12: the local day ends after the UTC day has.
        pytest.param(utc(2026, 6, 1, 20, 59), GMT_MINUS_12, time(9), None, id="gmt-12-before"),
        pytest.param(utc(2026, 6, 1, 21, 0), GMT_MINUS_12, time(9), date(2026, 6, 1), id="gmt-12-at"),
        pytest.param(
            utc(2026, 6, 2, 11, 59, 59),
            GMT_MINUS_12,
            time(9),
            date(2026, 6, 1),
            id="gmt-12-catch-up-to-midnight",
        ),
        pytest.param(utc(2026, 6, 2, 12, 0), GMT_MINUS_12, time(9), None, id="gmt-12-midnight-resets"),
        pytest.param(
            utc(2026, 6, 2, 12, 0), GMT_MINUS_12, time(0), date(2026, 6, 2), id="gmt-12-run-at-midnight"
        ),
        # Ordinary days, just before and after, and catch-up within the local day.
        pytest.param(utc(2026, 6, 1, 15, 59, 59), LA, time(9), None, id="la-a-second-before"),
        pytest.param(utc(2026, 6, 1, 16, 0), LA, time(9), date(2026, 6, 1), id="la-at"),
        pytest.param(utc(2026, 6, 2, 6, 59), LA, time(9), date(2026, 6, 1), id="la-23-59-still-due"),
        pytest.param(utc(2026, 6, 2, 7, 0), LA, time(9), None, id="la-local-midnight"),
        pytest.param(utc(2026, 6, 2, 7, 0), LA, time(23, 59), None, id="la-late-run-not-yet"),
        # Los Angeles spring forward, 2026-03-08: 02:00 PST jumps to 03:00 PDT (10:00 UTC).
        pytest.param(utc(2026, 3, 8, 9, 59), LA, time(2, 30), None, id="la-spring-gap-01-59"),
        pytest.param(
            utc(2026, 3, 8, 10, 0), LA, time(2, 30), date(2026, 3, 8), id="la-spring-gap-due-at-03-00"
        ),
        pytest.param(utc(2026, 3, 8, 10, 30), LA, time(2, 30), date(2026, 3, 8), id="la-spring-gap-03-30"),
        pytest.param(utc(2026, 3, 8, 9, 29), LA, time(1, 30), None, id="la-spring-01-29"),
        pytest.param(utc(2026, 3, 8, 9, 30), LA, time(1, 30), date(2026, 3, 8), id="la-spring-01-30"),
        # Los Angeles fall back, 2026-11-01: 02:00 PDT returns to 01:00 PST (09:00 UTC); 01:xx happens twice.
        pytest.param(utc(2026, 11, 1, 8, 29), LA, time(1, 30), None, id="la-fall-01-29-pdt"),
        pytest.param(utc(2026, 11, 1, 8, 30), LA, time(1, 30), date(2026, 11, 1), id="la-fall-first-01-30"),
        pytest.param(utc(2026, 11, 1, 9, 0), LA, time(1, 30), date(2026, 11, 1), id="la-fall-repeat-01-00"),
        pytest.param(utc(2026, 11, 1, 9, 29), LA, time(1, 30), date(2026, 11, 1), id="la-fall-repeat-01-29"),
        pytest.param(utc(2026, 11, 1, 9, 30), LA, time(1, 30), date(2026, 11, 1), id="la-fall-second-01-30"),
        pytest.param(
            utc(2026, 11, 1, 8, 0),
            LA,
            time(1, fold=1),
            date(2026, 11, 1),
            id="la-fall-run-at-fold-is-ignored",
        ),
        pytest.param(utc(2026, 11, 1, 10, 29), LA, time(2, 30), None, id="la-fall-02-29"),
        pytest.param(utc(2026, 11, 1, 10, 30), LA, time(2, 30), date(2026, 11, 1), id="la-fall-02-30"),
        # Berlin spring forward, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        pytest.param(utc(2026, 3, 29, 0, 59), BERLIN, time(2, 30), None, id="berlin-spring-01-59"),
        pytest.param(
            utc(2026, 3, 29, 1, 0), BERLIN, time(2, 30), date(2026, 3, 29), id="berlin-spring-03-00"
        ),
        # Berlin fall back, 2026-10-25: 03:00 CEST returns to 02:00 CET (01:00 UTC); 02:xx happens twice.
        pytest.param(utc(2026, 10, 25, 0, 29), BERLIN, time(2, 30), None, id="berlin-fall-02-29-cest"),
        pytest.param(
            utc(2026, 10, 25, 0, 30), BERLIN, time(2, 30), date(2026, 10, 25), id="berlin-fall-first"
        ),
        pytest.param(
            utc(2026, 10, 25, 1, 0), BERLIN, time(2, 30), date(2026, 10, 25), id="berlin-fall-repeat"
        ),
        pytest.param(
            utc(2026, 10, 25, 1, 30), BERLIN, time(2, 30), date(2026, 10, 25), id="berlin-fall-second"
        ),
        # An aware non-UTC instant works the same.
        pytest.param(
            datetime(2026, 6, 1, 18, 0, tzinfo=ZoneInfo(BERLIN)),
            LA,
            time(9),
            date(2026, 6, 1),
            id="non-utc-input",
        ),
    ],
)
def test_due_local_date(now, tz, run_at, expected):
    assert due_local_date(now, tz, run_at) == expected


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        pytest.param(utc(2026, 5, 31, 10, 0), KIRITIMATI, date(2026, 6, 1), id="kiritimati-ahead"),
        pytest.param(utc(2026, 6, 1, 11, 59), GMT_MINUS_12, date(2026, 5, 31), id="gmt-12-behind"),
        pytest.param(utc(2026, 6, 1, 7, 0), LA, date(2026, 6, 1), id="la-midnight"),
        pytest.param(utc(2026, 6, 1, 6, 59), LA, date(2026, 5, 31), id="la-before-midnight"),
    ],
)
def test_local_date(now, tz, expected):
    assert local_date(now, tz) == expected


# 2026-06-01 is a Monday (weekday 0).
@pytest.mark.parametrize(
    ("now", "tz", "weekday", "expected"),
    [
        pytest.param(utc(2026, 6, 1, 16, 0), LA, 0, date(2026, 6, 1), id="monday-due"),
        pytest.param(utc(2026, 6, 1, 15, 59), LA, 0, None, id="monday-not-yet"),
        pytest.param(utc(2026, 6, 1, 16, 0), LA, 1, None, id="wrong-weekday"),
        pytest.param(utc(2026, 6, 2, 6, 59), LA, 0, date(2026, 6, 1), id="monday-catch-up-till-midnight"),
        pytest.param(utc(2026, 6, 2, 16, 0), LA, 0, None, id="tuesday"),
        # Sunday evening in UTC is already Monday 09:00 in Kiritimati.
        pytest.param(utc(2026, 5, 31, 19, 0), KIRITIMATI, 0, date(2026, 6, 1), id="kiritimati-monday"),
        pytest.param(utc(2026, 5, 31, 19, 0), KIRITIMATI, 6, None, id="kiritimati-not-sunday"),
    ],
)
def test_weekly_due(now, tz, weekday, expected):
    assert weekly_due(now, tz, time(9), weekday) == expected


@pytest.mark.parametrize("weekday", [-1, 7], ids=["minus-one", "seven"])
def test_weekly_rejects_a_bad_weekday(weekday):
    with pytest.raises(ValueError, match="weekday"):
        weekly_due(utc(2026, 6, 1), LA, time(9), weekday)


@pytest.mark.parametrize("name", ["UTC", LA, BERLIN, KIRITIMATI, GMT_MINUS_12, "Asia/Kolkata"])
def test_validate_timezone_accepts_iana_names(name):
    assert validate_timezone(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus_Mons",
        "",
        "PST8PDT-ish",
        "../../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "localtime",
        None,
    ],
    ids=["made-up", "empty", "garbage", "traversal", "absolute-path", "host-localtime", "none"],
)
def test_validate_timezone_rejects_others(name):
    with pytest.raises(ValueError, match="IANA"):
        validate_timezone(name)


def test_unknown_timezone_is_a_value_error_everywhere():
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        due_local_date(utc(2026, 6, 1), "Mars/Olympus_Mons", time(9))


def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_local_date(datetime(2026, 6, 1, 9), LA, time(9))


def test_run_at_with_a_tzinfo_is_rejected():
    with pytest.raises(ValueError, match="wall-clock"):
        due_local_date(utc(2026, 6, 1), LA, time(9, tzinfo=UTC))


# Property: stepping through a whole local day, the run is due for at most that one date, from the moment
# the wall clock first reaches run_at (or jumps past it) until local midnight, never flickering off.

ZONES = [LA, BERLIN, KIRITIMATI, GMT_MINUS_12]
DST_DAYS = [
    (LA, date(2026, 3, 8)),
    (LA, date(2026, 11, 1)),
    (BERLIN, date(2026, 3, 29)),
    (BERLIN, date(2026, 10, 25)),
]
ZONE_DAYS = st.one_of(
    st.sampled_from(DST_DAYS),
    st.tuples(st.sampled_from(ZONES), st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))),
)
RUN_AT = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(23, 59)]),
    st.times(),
)


@settings(max_examples=100, deadline=None)
@given(
    zone_day=ZONE_DAYS,
    run_at=RUN_AT,
    step_minutes=st.integers(5, 97),
    offset_seconds=st.integers(0, 59),
)
@example(zone_day=(LA, date(2026, 11, 1)), run_at=time(1, 30), step_minutes=7, offset_seconds=0)
@example(zone_day=(BERLIN, date(2026, 10, 25)), run_at=time(2, 30), step_minutes=7, offset_seconds=0)
@example(zone_day=(LA, date(2026, 3, 8)), run_at=time(2, 30), step_minutes=7, offset_seconds=0)
@example(zone_day=(LA, date(2026, 11, 1)), run_at=time(1, fold=1), step_minutes=60, offset_seconds=0)
def test_one_due_date_per_local_day(zone_day, run_at, step_minutes, offset_seconds):
    tz, day = zone_day
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=1)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC) + timedelta(hours=1)
    first_occurrence = datetime.combine(day, run_at.replace(fold=0), tzinfo=zone).astimezone(UTC)

    now = start + timedelta(seconds=offset_seconds)
    seen_on_day = []
    while now < end:
        due = due_local_date(now, tz, run_at)
        local = now.astimezone(zone)
        assert due in (None, local.date())
        if local.date() == day:
            seen_on_day.append(due)
            if local.replace(tzinfo=None).time() >= run_at:
                assert due == day, f"{local} has passed {run_at} but the run is not due"
            elif due == day:
                # Only the repeat of a fall-back hour, after run_at's first occurrence, is due below run_at.
                assert local.fold == 1
                assert now >= first_occurrence
        now += timedelta(minutes=step_minutes)

    assert set(seen_on_day) <= {None, day}
    if day in seen_on_day:
        first_due = seen_on_day.index(day)
        assert all(due == day for due in seen_on_day[first_due:]), "the run flickered off within its day"
