"""NOTIFY_URLS and NOTIFY_ROUTES: named channels, routes checked against them, secrets never echoed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from agent.config import ConfigError, load_settings
from agent.domain.vocabulary import NotifyEvent
from agent.notify.urls import ChannelSpecError, parse_channels

SECRET = "s3cr3tTOKENvalue"


def test_named_and_bare_urls():
    channels = parse_channels(
        SecretStr(f"ops=json://localhost:9/hook, mail=mailto://u:{SECRET}@localhost?to=a@x,b@y\njson://h/x")
    )
    assert list(channels) == ["ops", "mail", "url-" + list(channels)[2][4:]]
    assert channels["mail"].get_secret_value().endswith("to=a@x,b@y")  # a comma inside a URL stays
    assert list(channels)[2].startswith("url-")
    assert len(list(channels)[2]) == 12


@pytest.mark.parametrize(
    "value", [f"ops=not-a-url-{SECRET}", f"ops=json://a ops=json://{SECRET}", f"bad name=json://{SECRET}"]
)
def test_a_bad_entry_is_named_by_position_never_by_its_text(value):
    with pytest.raises(ChannelSpecError) as caught:
        parse_channels(SecretStr(value))
    assert SECRET not in str(caught.value)
    with pytest.raises(ConfigError) as config:
        load_settings(_env_file=None, notify_urls=value)
    assert "NOTIFY_URLS" in str(config.value)
    assert SECRET not in str(config.value)


def test_routes_must_name_configured_channels():
    settings = load_settings(
        _env_file=None,
        notify_urls=f"ops=json://localhost/{SECRET} team=json://localhost/t",
        notify_routes={"team": {"events": ["proposal_waiting"], "customers": ["acme"], "digest_at": "08:00"}},
    )
    ops, team = settings.notify_routing()
    assert ops.events is None
    assert ops.customers is None
    assert ops.digest_at is None
    assert team.events == frozenset({NotifyEvent.PROPOSAL_WAITING})
    assert team.customers == frozenset({"acme"})
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
    with pytest.raises(ConfigError, match="does not define"):
        load_settings(_env_file=None, notify_urls="ops=json://localhost/x", notify_routes={"nope": {}})
    with pytest.raises(ConfigError, match="NOTIFY_ROUTES"):
        load_settings(
            _env_file=None, notify_urls="ops=json://x/y", notify_routes={"ops": {"events": ["typo"]}}
        )


def test_the_web_credentials_must_be_user_and_password():
    with pytest.raises(ConfigError, match="WEB_BASIC_AUTH") as caught:
        load_settings(_env_file=None, web_basic_auth=SECRET)
    assert SECRET not in str(caught.value)
    assert load_settings(_env_file=None, web_basic_auth=f"ops:{SECRET}").web_basic_auth is not None
