"""The compose file's webhooks service and the sandbox's deliveries to it, read the way Compose reads them
(test_compose_up.py starts them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.integration.compose.local_stack import ALL_INTERFACES
from tests.support.compose import (
    container_argv,
    depends_on,
    environment,
    healthcheck_argv,
    listening_port,
    load_compose,
    option,
    published_ports,
)


def test_the_webhooks_service_serves_the_receiver_on_every_interface(services: dict[str, Any]) -> None:
    webhooks = services["webhooks"]
    argv = container_argv(webhooks)
    assert argv[:2] == ["agent", "webhooks"]
    assert option(argv, "--host") == ALL_INTERFACES
    port = listening_port(argv)
    assert published_ports(webhooks) == [port]
    assert f":{port}/healthz" in " ".join(healthcheck_argv(webhooks) or [])


def test_it_answers_without_redis_once_the_schema_is_there(services: dict[str, Any]) -> None:
    """A delivery is committed to PostgreSQL before the 2xx; Redis only hurries its processing."""
    assert depends_on(services["webhooks"]) == {
        "postgres": "service_healthy",
        "migrate": "service_completed_successfully",
    }


def test_the_sandbox_delivers_to_it_by_default_with_a_secret_it_accepts(services: dict[str, Any]) -> None:
    sandbox = environment(services["sandbox"])
    url = urlsplit(sandbox["SANDBOX_WEBHOOK_URL"])
    assert (url.hostname, url.port, url.path) == (
        "webhooks",
        listening_port(container_argv(services["webhooks"])),
        "/webhooks/layers",
    )
    accepted = environment(services["webhooks"])["LAYERS_WEBHOOK_SECRETS"].split(",")
    assert sandbox["SANDBOX_WEBHOOK_SECRET"] in accepted
    assert sandbox["LAYERS_API_KEY"] == environment(services["worker"])["LAYERS_API_KEY"]  # the anchor's env


def test_the_real_secret_comes_from_the_shell_and_an_empty_url_delivers_nowhere() -> None:
    compose = load_compose({"LAYERS_WEBHOOK_SECRETS": "whsec_new,whsec_old", "SANDBOX_WEBHOOK_URL": ""})
    assert environment(compose["services"]["webhooks"])["LAYERS_WEBHOOK_SECRETS"] == "whsec_new,whsec_old"
    assert environment(compose["services"]["sandbox"])["SANDBOX_WEBHOOK_URL"] == ""
