"""Retries: bounded in attempts and time, Retry-After honoured, mutations only under their own key."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from agent.config import Settings
from agent.layers import RetryPolicy, errors
from agent.layers.retry import parse_retry_after
from agent.layers.routes import EndpointClass

from .conftest import Script, error, reply

WHOAMI = {"organizationId": "org_1"}
PROJECT = {"id": "prj_1", "name": "Acme"}


class MaxRandom(random.Random):
    """Full jitter always picks the ceiling, so the exponential schedule is visible."""

    def uniform(self, a: float, b: float) -> float:
        return b


class RecordingLimiter:
    def __init__(self, exhausted: bool = False) -> None:
        self.acquired: list[EndpointClass] = []
        self.backed_off: list[tuple[EndpointClass, float]] = []
        self.exhausted = exhausted

    def acquire(self, endpoint_class: EndpointClass) -> None:
        if self.exhausted:
            raise errors.QuotaExhausted(endpoint_class.value, 9.0)
        self.acquired.append(endpoint_class)

    def back_off(self, endpoint_class: EndpointClass, seconds: float) -> None:
        self.backed_off.append((endpoint_class, seconds))


def test_policy_comes_from_settings():
    policy = RetryPolicy.from_settings(Settings(http_max_attempts=3, http_deadline_s=12, retry_after_cap_s=4))
    assert (policy.max_attempts, policy.deadline_s, policy.retry_after_cap_s) == (3, 12, 4)


def test_429_sleeps_exactly_the_retry_after_then_succeeds(make_client, clock):
    script = Script([error(429, "RATE_LIMITED", retry_after="2"), reply(200, WHOAMI)])
    assert make_client(script).whoami().organization_id == "org_1"
    assert clock.sleeps == [2.0]
    assert len(script.requests) == 2


def test_429_longer_than_the_cap_is_not_slept_but_raised_for_the_caller_to_reschedule(make_client, clock):
    script = Script([error(429, "RATE_LIMITED", retry_after="120"), reply(200, WHOAMI)])
    with pytest.raises(errors.RateLimited) as caught:
        make_client(script).whoami()
    assert caught.value.retry_after_s == 120.0
    assert clock.sleeps == []
    assert len(script.requests) == 1


def test_429_without_retry_after_backs_off_exponentially(make_client, clock):
    script = Script([error(429, "RATE_LIMITED")] * 3 + [reply(200, WHOAMI)])
    make_client(script, rng=MaxRandom()).whoami()
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_5xx_backoff_is_exponential_with_full_jitter_and_bounded_by_attempts(make_client, clock):
    script = Script([error(503, None)])
    with pytest.raises(errors.ServerError):
        make_client(script, rng=MaxRandom(), retry=RetryPolicy(max_attempts=6, deadline_s=1000)).whoami()
    assert len(script.requests) == 6
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]  # ceilings, capped at MAX_DELAY_S = 8


def test_full_jitter_draws_anywhere_below_the_ceiling(make_client, clock):
    script = Script([error(500, "INTERNAL")] * 4 + [reply(200, WHOAMI)])
    make_client(script, rng=random.Random(3)).whoami()
    ceilings = [0.5, 1.0, 2.0, 4.0]
    assert len(clock.sleeps) == 4
    assert all(0 <= s <= c for s, c in zip(clock.sleeps, ceilings, strict=True))
    assert clock.sleeps != ceilings


def test_the_overall_deadline_stops_retries_before_sleeping_past_it(make_client, clock):
    script = Script([error(502, None)])
    policy = RetryPolicy(max_attempts=10, deadline_s=3.0)
    with pytest.raises(errors.ServerError):
        make_client(script, rng=MaxRandom(), retry=policy).whoami()
    assert clock.sleeps == [0.5, 1.0]  # the next 2.0 s would end at 3.5 s > 3.0 s
    assert len(script.requests) == 3


def test_the_deadline_counts_time_spent_waiting_for_answers(make_client, clock):
    def slow_failure(request: httpx.Request) -> httpx.Response:
        clock.now += 10.0
        return error(500, None)

    script = Script([slow_failure])
    with pytest.raises(errors.ServerError):
        make_client(script, rng=MaxRandom(), retry=RetryPolicy(max_attempts=10, deadline_s=15.0)).whoami()
    assert len(script.requests) == 2


def test_a_mutation_is_retried_with_the_same_idempotency_key_and_body(make_client, clock):
    script = Script([error(503, None), httpx.ReadTimeout("late"), reply(201, PROJECT)])
    project = make_client(script).create_project(
        name="Acme", timezone="UTC", idempotency_key="idem-123", app_name="Acme"
    )
    assert project.id == "prj_1"
    assert [r.headers["idempotency-key"] for r in script.requests] == ["idem-123"] * 3
    assert {r.content for r in script.requests} == {script.requests[0].content}
    assert script.body(0) == {"name": "Acme", "timezone": "UTC", "appName": "Acme"}


@pytest.mark.parametrize(
    "failure", [error(503, None), httpx.ReadTimeout("late"), error(429, None, retry_after="1")]
)
def test_a_mutation_without_a_key_is_sent_once_and_never_retried(make_client, clock, failure):
    script = Script([failure, reply(200, PROJECT)])
    with pytest.raises(errors.LayersError):
        make_client(script).patch_project("prj_1", {"name": "New"}, idempotency_key=None)
    assert len(script.requests) == 1
    assert "idempotency-key" not in script.requests[0].headers
    assert clock.sleeps == []


def test_a_bad_idempotency_key_is_refused_before_sending(make_client):
    script = Script([reply(200, PROJECT)])
    with pytest.raises(ValueError, match="idempotency_key"):
        make_client(script).patch_project("prj_1", {}, idempotency_key="bad\nkey")
    assert script.requests == []


def test_contract_errors_are_not_retried(make_client, clock):
    script = Script([httpx.Response(200, content=b'{"organizationId": "org'), reply(200, WHOAMI)])
    with pytest.raises(errors.ContractError):
        make_client(script).whoami()
    assert len(script.requests) == 1


def test_every_attempt_takes_a_token_first_and_a_429_feeds_back_to_the_limiter(make_client, clock):
    limiter = RecordingLimiter()
    script = Script(
        [
            error(429, "RATE_LIMITED", retry_after="3"),
            error(500, None),
            reply(202, {"jobId": "j", "accepted": True}),
        ]
    )
    make_client(script, limiter=limiter).cancel_job("job_1", idempotency_key="k")
    assert limiter.acquired == [EndpointClass.WRITE_LIGHT] * 3
    assert limiter.backed_off == [(EndpointClass.WRITE_LIGHT, 3.0)]


def test_quota_exhausted_sends_nothing_and_is_not_retried(make_client, clock):
    script = Script([reply(200, WHOAMI)])
    with pytest.raises(errors.QuotaExhausted) as caught:
        make_client(script, limiter=RecordingLimiter(exhausted=True)).whoami()
    assert caught.value.retry_after_s == 9.0
    assert script.requests == []
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("2.5", 2.5),
        ("-4", 0.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
    ],
)
def test_retry_after_header_forms(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_as_an_http_date():
    now = datetime(2026, 4, 18, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now=now) == 7.0
