import pytest

from agent.config import ConfigError, load_settings


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
