"""The fault injector's random sequence is reproducible and its transforms do what they claim."""

from __future__ import annotations

import json

import pytest

from agent.sandbox import FaultConfig
from agent.sandbox.faults import DRIFT_FIELD, FaultInjector, drift_body, malformed_body


def _plans(config: FaultConfig, n: int = 50, method: str = "GET") -> list:
    injector = FaultInjector(config)
    return [injector.plan(method, "/v1/whoami") for _ in range(n)]


def test_same_seed_same_sequence_other_seed_other_sequence():
    config = FaultConfig(seed=42, rate_5xx=0.3, rate_reset=0.1, rate_429=0.2, jitter_ms=50, rate_drift=0.5)
    assert _plans(config) == _plans(config)
    assert _plans(config) != _plans(FaultConfig(**{**config.to_dict(), "seed": 43}))


def test_sequence_does_not_depend_on_which_faults_are_enabled():
    """Every request draws the same values, so adding one fault kind does not reshuffle another."""
    only_5xx = [p.status_5xx for p in _plans(FaultConfig(seed=5, rate_5xx=0.4))]
    with_drift = [p.status_5xx for p in _plans(FaultConfig(seed=5, rate_5xx=0.4, rate_drift=0.9))]
    assert only_5xx == with_drift


def test_reconfiguring_restarts_the_sequence():
    injector = FaultInjector(FaultConfig(seed=9, rate_5xx=0.5))
    first = [injector.plan("GET", "/x") for _ in range(10)]
    injector.configure(FaultConfig(seed=9, rate_5xx=0.5))
    assert [injector.plan("GET", "/x") for _ in range(10)] == first


def test_rates_zero_and_one():
    assert all(p.blocks is None and not p.drift for p in _plans(FaultConfig()))
    assert all(p.reset for p in _plans(FaultConfig(rate_reset=1.0)))
    assert all(p.status_5xx in (500, 502, 503) for p in _plans(FaultConfig(rate_5xx=1.0)))


def test_late_only_for_mutations_and_malformed_only_for_gets():
    config = FaultConfig(rate_late=1.0, rate_malformed=1.0)
    gets, posts = _plans(config, 5, "GET"), _plans(config, 5, "POST")
    assert all(p.malformed and not p.late for p in gets)
    assert all(p.late and not p.malformed for p in posts)


def test_blocking_faults_have_a_precedence():
    plan = _plans(FaultConfig(rate_reset=1.0, rate_5xx=1.0, rate_429=1.0), 1)[0]
    assert plan.blocks == "reset"


def test_targeting_by_path_and_method():
    injector = FaultInjector(FaultConfig(rate_5xx=1.0, path_pattern="clone", methods=("POST",)))
    assert injector.plan("POST", "/v1/content/x/clone-from-post").status_5xx is not None
    assert injector.plan("GET", "/v1/content/x/clone-from-post").status_5xx is None
    assert injector.plan("POST", "/v1/projects").status_5xx is None


def test_latency_includes_jitter_within_bounds():
    delays = [p.delay_s for p in _plans(FaultConfig(latency_ms=100, jitter_ms=50))]
    assert all(0.1 <= d <= 0.15 for d in delays)
    assert len(set(delays)) > 1


def test_malformed_body_is_never_valid_json():
    for body in (b"{}", b'{"a":1}', json.dumps({"items": list(range(100))}).encode()):
        with pytest.raises(json.JSONDecodeError):
            json.loads(malformed_body(body))


def test_drift_extra_field_and_enum_rename():
    body = {
        "items": [{"kind": "refresh_fatigued", "status": "open", "recommendationId": "rec_1"}],
        "nextCursor": None,
    }
    extra = drift_body(body, ("extra_field",), 0.0)
    assert DRIFT_FIELD in extra
    assert DRIFT_FIELD in extra["items"][0]
    renamed = drift_body(body, ("enum_value",), 0.0)
    assert renamed["items"][0]["kind"] == "refresh_fatigued_v2"
    assert DRIFT_FIELD not in renamed
    assert body["items"][0]["kind"] == "refresh_fatigued"


def test_enum_drift_without_enums_still_drifts():
    assert DRIFT_FIELD in drift_body({"name": "x"}, ("enum_value",), 0.5)


def test_config_validation_and_merge():
    with pytest.raises(ValueError, match="rate_5xx"):
        FaultConfig(rate_5xx=1.5)
    with pytest.raises(ValueError, match="statuses_5xx"):
        FaultConfig(statuses_5xx=(404,))
    merged = FaultConfig().merged({"rate5xx": 0.5, "late_delay_s": 3, "statuses5xx": [503]})
    assert (merged.rate_5xx, merged.late_delay_s, merged.statuses_5xx) == (0.5, 3, (503,))
    with pytest.raises(ValueError, match="unknown fault setting"):
        FaultConfig().merged({"nope": 1})
