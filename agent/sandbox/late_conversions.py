"""Late conversions (issue 15): an ad's conversions (and their revenue) for a day are reported only
`conversionDelayHours` after that day, as attribution windows make them in reality; spend and impressions
are reported at once. A window read too soon undercounts its conversions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from agent.sandbox.records import AdRec


def as_reported(ad: AdRec, day: date, now: datetime) -> AdRec:
    """The ad's numbers for `day` as Layers reports them at `now`."""
    if not ad.conversion_delay_hours:
        return ad
    arrives = datetime.combine(day, time(), UTC) + timedelta(hours=ad.conversion_delay_hours)
    return ad if now >= arrives else replace(ad, conversions=0, revenue=0.0)
