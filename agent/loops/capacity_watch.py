"""The capacity watch (issue 14, on the health watch's tick): when, at the quota's pace, a timezone's last
run of today would end after its customers' local midnight, the people routed to `day_late` are told,
once per timezone and day (the outbox's unique event key makes every later tick a no-op).

The figures are `agent capacity`'s: the calls measured on a week of recorded runs, the enabled customers'
schedule and the tier settings, through the pure rule `agent.rules.capacity.assess`.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from agent.logging import get_logger
from agent.loops.notifications import notify_late_day
from agent.loops.ports import Deps
from agent.rules.capacity import MEASURED_DAYS, assess

log = get_logger(__name__)


def warn_late_days(deps: Deps) -> int:
    """Returns how many notification rows were queued (0 when no day is late, or it was told before)."""
    now, settings = deps.now(), deps.settings
    since = now.astimezone(UTC).date() - timedelta(days=MEASURED_DAYS)
    queued = 0
    with deps.store() as store:
        capacity = assess(
            rates=settings.tier_rates(),
            costs=store.loop_costs(since=since),
            groups=store.schedule_groups(),
            now=now,
            weekly_review_weekday=settings.weekly_review_weekday_index,
        )
        for zone in capacity.late_zones:
            added = notify_late_day(store, settings=settings, zone=zone, now=now)
            if added:
                log.warning("day_late", timezone=zone.timezone, finish_at=zone.finish_at.isoformat())
            queued += added
    return queued
