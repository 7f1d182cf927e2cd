"""A demo day on the session database (issue 14's tests): every demo customer's three loops, run the way a
worker runs them, with every job followed to its end on the test's clock."""

from __future__ import annotations

from agent.domain.vocabulary import LoopName
from agent.sandbox import ManualClock
from agent.services import Services
from agent.store import reports
from tests.support.running import follow_jobs, run_today

DAY = (LoopName.PUBLISH_TO_LEARN, LoopName.OPTIMIZATION, LoopName.WEEKLY_REVIEW)
# The demo's own pace (`agent demo` runs on the pilot tier): nine customers' day in seconds, not minutes.
# Use with `@pytest.mark.parametrize("settings_overrides", [DEMO_PACE], indirect=True)`.
DEMO_PACE = {"rate_read_per_min": 1200, "rate_write_per_min": 600, "rate_long_running_per_min": 60}


def run_demo_day(services: Services, clock: ManualClock) -> None:
    with services.db.session() as session:
        names = sorted(reports.customer_names(session).values())
    for name in names:
        for loop in DAY:
            run_today(services, name, loop)
    follow_jobs(services, clock, seconds=60)
