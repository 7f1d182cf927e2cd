import dataclasses

import pytest

from agent.config import ConfigError, Settings, load_settings
from agent.rules.health import HEALTH_RANGES, HealthThresholds
from agent.rules.thresholds import THRESHOLD_RANGES, Thresholds


def test_defaults_follow_the_docs():
    settings = load_settings(_env_file=None)
    assert settings.min_views == 50
    assert settings.breakout_multiple == 2.0
    assert settings.min_engagement == 0.04
    assert settings.max_clones_per_source == 5
    assert settings.layers_base_url == "https://api.layers.com"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MIN_VIEWS": "-1"}, "MIN_VIEWS"),
        ({"LAYERS_API_KEY": "not-a-key"}, "LAYERS_API_KEY"),
        ({"LAYERS_BASE_URL": "ftp://x"}, "LAYERS_BASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"WEEKLY_REVIEW_WEEKDAY": "someday"}, "WEEKLY_REVIEW_WEEKDAY"),
        ({"JOB_TIMEOUT_S": "soon"}, "JOB_TIMEOUT_S"),
    ],
)
def test_an_invalid_setting_fails_naming_it(monkeypatch, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=named):
        load_settings(_env_file=None)


def test_a_bad_key_is_not_echoed_back(monkeypatch):
    monkeypatch.setenv("LAYERS_API_KEY", "lp_live_oops secret")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(_env_file=None)
    assert "oops secret" not in str(excinfo.value)


def test_missing_api_key_is_named_when_needed():
    with pytest.raises(ConfigError, match="LAYERS_API_KEY"):
        load_settings(_env_file=None).api_key()


def test_postgres_urls_are_normalised_to_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/agent")
    assert load_settings(_env_file=None).database_url == "postgresql+psycopg://u:p@db/agent"


def test_the_key_never_shows_in_repr(monkeypatch):
    monkeypatch.setenv("LAYERS_API_KEY", "lp_test_abc123_SENTINELsecret")
    settings = load_settings(_env_file=None)
    assert "SENTINEL" not in repr(settings)
    assert "SENTINEL" not in str(settings.model_dump())


def _bounds(field_info):
    """(default, ge, gt, le) of a pydantic field, read from its constraint metadata."""
    found = {"ge": None, "gt": None, "le": None}
    for item in field_info.metadata:
        for name in found:
            if getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    return field_info.default, found["ge"], found["gt"], found["le"]


@pytest.mark.parametrize(
    ("owner", "ranges", "prefix"),
    [(Thresholds, THRESHOLD_RANGES, ""), (HealthThresholds, HEALTH_RANGES, "health_")],
    ids=["thresholds", "health"],
)
def test_every_tunable_setting_takes_its_default_and_range_from_the_rules(owner, ranges, prefix):
    fields = Settings.model_fields
    for f in dataclasses.fields(owner):
        setting = fields[f"{prefix}{f.name}"]
        bound = ranges[f.name]
        expected = (
            f.default,
            None if bound.lo_open else bound.lo,
            bound.lo if bound.lo_open else None,
            bound.hi,
        )
        assert _bounds(setting) == expected, f.name
        assert setting.annotation is type(f.default), f.name


def test_settings_and_overrides_refuse_the_same_out_of_range_value():
    with pytest.raises(ConfigError, match="MAX_CLONES_PER_SOURCE"):
        load_settings(_env_file=None, max_clones_per_source=10)
    with pytest.raises(ValueError, match=r"'max_clones_per_source' must be >= 1 and <= 5, got 10"):
        load_settings(_env_file=None).thresholds().with_overrides({"max_clones_per_source": 10})


def test_the_fleet_thresholds_come_from_the_settings():
    settings = load_settings(_env_file=None, min_views=80, breakout_multiple=3)
    assert settings.thresholds() == Thresholds(min_views=80, breakout_multiple=3.0)
    assert load_settings(_env_file=None, health_score_drop_ratio=0.5).health_thresholds() == HealthThresholds(
        score_drop_ratio=0.5
    )
