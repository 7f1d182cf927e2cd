"""The poll schedule, pure: the first poll at the median duration, then the docs' backoff, a backstop
while webhooks arrive, and the deadline always polled on time."""

from datetime import UTC, datetime, timedelta

import pytest

from agent.rules.polling import (
    PollSchedule,
    expected_duration_s,
    first_delay_s,
    next_interval_s,
    next_poll_at,
    webhooks_healthy,
)

DOCS = PollSchedule(initial_s=2.0, multiplier=1.3, max_s=10.0, backstop_s=120.0, reconcile_s=300.0)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_the_expected_duration_is_the_median_once_there_are_enough_samples():
    assert expected_duration_s([30.0, 40.0]) is None
    assert expected_duration_s([30.0, 40.0, 500.0]) == 40.0
    assert expected_duration_s([30.0, 40.0, 50.0, 60.0]) == 45.0


@pytest.mark.parametrize(
    ("expected", "healthy", "delay"),
    [
        (None, False, 2.0),
        (45.0, False, 45.0),
        (45.0, True, 165.0),
        (None, True, 122.0),
        (9000.0, False, 600.0),
    ],
)
def test_the_first_poll(expected, healthy, delay):
    assert first_delay_s(DOCS, expected_s=expected, healthy=healthy, timeout_s=600) == delay


def test_after_the_first_poll_the_docs_backoff_and_its_cap():
    assert next_interval_s(DOCS, polls=0, previous_s=45.0, healthy=False) == 2.0
    assert next_interval_s(DOCS, polls=1, previous_s=2.0, healthy=False) == pytest.approx(2.6)
    assert next_interval_s(DOCS, polls=7, previous_s=9.0, healthy=False) == 10.0
    assert next_interval_s(DOCS, polls=3, previous_s=3.0, healthy=True) == 120.0


def test_the_deadline_is_never_stepped_over():
    deadline = NOW + timedelta(seconds=30)
    assert next_poll_at(NOW, delay_s=120, deadline_at=deadline) == deadline
    assert next_poll_at(NOW, delay_s=10, deadline_at=deadline) == NOW + timedelta(seconds=10)
    late = NOW + timedelta(seconds=60)
    assert next_poll_at(late, delay_s=300, deadline_at=deadline) == late + timedelta(seconds=300)


def test_webhooks_count_as_healthy_only_when_one_arrived_recently():
    assert webhooks_healthy(NOW - timedelta(seconds=599), NOW, 600)
    assert not webhooks_healthy(NOW - timedelta(seconds=601), NOW, 600)
    assert not webhooks_healthy(None, NOW, 600)
    assert not webhooks_healthy(NOW, NOW, 0)
