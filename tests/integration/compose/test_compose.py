"""docker-compose.yml without a Docker engine: the file (and the Dockerfile it builds) read the way Compose
reads them (`tests.support.compose`) and checked against what the stack needs. test_compose_up.py starts
the services."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from agent.config import load_settings
from tests.integration.compose.local_stack import (
    AGENT_SERVICES,
    ALL_INTERFACES,
    LOCAL_EXECUTABLES,
    LONG_RUNNING,
)
from tests.support.compose import (
    REPO,
    InterpolationError,
    as_argv,
    container_argv,
    depends_on,
    environment,
    healthcheck_argv,
    image_entrypoint,
    image_healthcheck,
    image_instruction,
    interpolate,
    listening_port,
    load_compose,
    option,
    published_ports,
    startup_order,
    uses_agent_image,
)

SERVICES = {"postgres", "redis", "sandbox", "migrate", "worker", "beat", "flower", "web", "webhooks"}


def test_the_stack_has_every_service(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES


def test_postgres_keeps_its_data_in_a_volume_and_has_a_healthcheck(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    volumes = [str(v).split(":") for v in postgres["volumes"]]
    assert any(target == "/var/lib/postgresql/data" for _, target, *_ in volumes), volumes
    assert all(source in compose["volumes"] for source, *_ in volumes if not source.startswith((".", "/")))
    assert "pg_isready" in " ".join(healthcheck_argv(postgres) or [])
    # The agent's DATABASE_URL is the database, user and password this container creates.
    url = make_url(environment(services["migrate"])["DATABASE_URL"])
    env = environment(postgres)
    assert (url.host, url.port) == ("postgres", 5432)
    assert (url.username, url.password, url.database) == (
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        env["POSTGRES_DB"],
    )
    check = " ".join(healthcheck_argv(postgres) or [])
    assert f"-U {env['POSTGRES_USER']}" in check
    assert f"-d {env['POSTGRES_DB']}" in check


def test_redis_is_durable_and_never_evicts_messages(services: dict[str, Any]) -> None:
    redis_service = services["redis"]
    command = as_argv(redis_service["command"])
    assert command is not None
    assert command[0] == "redis-server"
    pairs = list(itertools.pairwise(command))
    assert ("--appendonly", "yes") in pairs
    assert ("--maxmemory-policy", "noeviction") in pairs
    assert any(str(v).split(":")[1] == "/data" for v in redis_service["volumes"])
    assert healthcheck_argv(redis_service) == ["redis-cli", "ping"]
    url = urlsplit(environment(services["worker"])["REDIS_URL"])
    assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379)


def test_agent_services_run_the_agent_image_with_a_valid_configuration(services: dict[str, Any]) -> None:
    for name in AGENT_SERVICES:
        service = services[name]
        assert uses_agent_image(service), name
        assert service.get("build") is not None, f"{name} cannot be built by `docker compose up --build`"
        env = environment(service)
        # The settings the container will read are valid (a ConfigError would crash-loop it).
        settings = load_settings(_env_file=None, **{key.lower(): value for key, value in env.items()})
        assert settings.database_url.startswith("postgresql+psycopg://"), name
        assert settings.redis_url is not None, name


def test_the_image_runs_the_agent_command_and_checks_its_health_with_agent_ping() -> None:
    assert image_entrypoint() == ["agent"]
    assert image_healthcheck() == ["agent", "ping"]
    assert image_instruction("FROM").startswith("python:3.11-slim")
    assert image_instruction("USER") not in ("root", "0")
    assert 'agent = "agent.cli:app"' in (REPO / "pyproject.toml").read_text()


def test_each_agent_service_runs_its_command(services: dict[str, Any]) -> None:
    assert container_argv(services["sandbox"])[:2] == ["agent", "sandbox"]
    assert container_argv(services["migrate"]) == ["agent", "migrate"]
    assert container_argv(services["worker"])[:2] == ["agent", "worker"]
    assert container_argv(services["beat"])[:2] == ["agent", "beat"]
    # Flower runs on the app the agent's factory builds, so it starts through the agent's entry point.
    assert container_argv(services["flower"])[:2] == ["agent", "flower"]


def test_migrate_is_one_shot_and_the_others_restart(services: dict[str, Any]) -> None:
    assert services["migrate"]["restart"] == "no"
    assert healthcheck_argv(services["migrate"]) is None
    for name in LONG_RUNNING:
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_every_dependency_waits_for_health_or_for_migrate_to_finish(services: dict[str, Any]) -> None:
    startup_order(services)  # no cycle
    required = {
        "migrate": {"postgres"},
        "worker": {"postgres", "redis", "migrate", "sandbox"},
        "beat": {"postgres", "redis", "migrate", "sandbox"},
        "flower": {"redis"},
    }
    for name, needs in required.items():
        assert needs <= set(depends_on(services[name])), name
    for name, service in services.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if dependency == "migrate":
                assert condition == "service_completed_successfully", name
                assert services["migrate"]["restart"] == "no"
            else:
                assert condition == "service_healthy", f"{name} -> {dependency}: {condition}"
                # service_healthy on a service without a healthcheck never becomes true.
                assert healthcheck_argv(services[dependency]) is not None, dependency


def test_agent_healthchecks_use_what_the_image_has(services: dict[str, Any]) -> None:
    for name in AGENT_SERVICES:
        check = healthcheck_argv(services[name])
        if check is None:
            continue
        program = shlex.split(check[2])[0] if check[:2] == ["sh", "-c"] else check[0]
        assert program in LOCAL_EXECUTABLES, f"{name}'s healthcheck runs {program}, absent from the image"


def test_servers_listen_on_every_interface_on_the_ports_they_publish_and_check(
    services: dict[str, Any],
) -> None:
    sandbox = container_argv(services["sandbox"])
    assert option(sandbox, "--host") == ALL_INTERFACES, "other containers could not reach the sandbox"
    flower = container_argv(services["flower"])
    assert option(flower, "--address") in (None, ALL_INTERFACES)
    for name in ("sandbox", "flower"):
        port = listening_port(container_argv(services[name]))
        assert published_ports(services[name]) == [port], name
        check = " ".join(healthcheck_argv(services[name]) or [])
        assert f":{port}/" in check, f"{name}'s healthcheck does not call port {port}: {check}"
    metrics = int(environment(services["worker"])["METRICS_PORT"])
    assert published_ports(services["worker"]) == [metrics]


def test_layers_base_url_defaults_to_the_sandbox(services: dict[str, Any]) -> None:
    port = listening_port(container_argv(services["sandbox"]))
    for name in AGENT_SERVICES:
        env = environment(services[name])
        assert env["LAYERS_BASE_URL"] == f"http://sandbox:{port}", name
        assert env["LAYERS_API_KEY"].startswith("lp_test_"), name


def test_layers_base_url_and_key_come_from_the_shell() -> None:
    compose = load_compose(
        {"LAYERS_BASE_URL": "https://api.layers.com", "LAYERS_API_KEY": "lp_live_abc_secret"}
    )
    for name in AGENT_SERVICES:
        env = environment(compose["services"][name])
        assert env["LAYERS_BASE_URL"] == "https://api.layers.com", name
        assert env["LAYERS_API_KEY"] == "lp_live_abc_secret", name


def test_a_dotenv_next_to_the_compose_file_overrides_and_the_shell_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# the real API\nLAYERS_BASE_URL=https://api.layers.com\nexport LAYERS_API_KEY='lp_live_a_b'\n"
    )
    from_file = environment(load_compose({}, dotenv)["services"]["worker"])
    assert from_file["LAYERS_BASE_URL"] == "https://api.layers.com"
    assert from_file["LAYERS_API_KEY"] == "lp_live_a_b"
    shell = environment(load_compose({"LAYERS_BASE_URL": "http://other:1"}, dotenv)["services"]["worker"])
    assert shell["LAYERS_BASE_URL"] == "http://other:1"


def test_an_empty_override_falls_back_to_the_default() -> None:
    env = environment(load_compose({"LAYERS_BASE_URL": ""})["services"]["beat"])
    assert env["LAYERS_BASE_URL"] == "http://sandbox:8080"


def test_interpolation_forms() -> None:
    variables = {"SET": "value", "EMPTY": ""}
    assert interpolate("$$SET ${SET} $SET", variables) == "$SET value value"
    assert interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", variables) == "d d  d"
    assert interpolate("${SET:+r} ${EMPTY:+r} ${EMPTY+r}", variables) == "r  r"
    assert interpolate({"k": ["${SET}", 1]}, variables) == {"k": ["value", 1]}
    with pytest.raises(InterpolationError, match="needed"):
        interpolate("${EMPTY:?needed}", variables)
    with pytest.raises(InterpolationError, match="invalid"):
        interpolate("${1BAD}", variables)
