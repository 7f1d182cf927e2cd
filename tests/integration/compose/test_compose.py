"""docker-compose.yml, proven without a Docker engine.

The file is read the way Compose reads it (YAML anchors and `<<:` merge keys, `${VAR:-default}`
interpolation from the shell and from a `.env` beside it) and its structure is checked against what the
stack needs. Then every agent service's real command line (the image ENTRYPOINT, or the service's
`entrypoint`, followed by its `command`) is started on this machine with the service's own environment,
in `depends_on` order, with the Compose host names mapped to this machine: `postgres` to a fresh
database on the test PostgreSQL, `redis` to the compose redis command itself on a private port (or
TEST_REDIS_URL when redis-server is missing; see `Stack`), and every published port (the sandbox's
8080, flower's 5555, the worker's metrics 9100) to a free local port. Each service must come up:
migrate exits 0 and leaves the schema at head, the sandbox and flower pass their Compose healthchecks,
the worker answers a Celery ping and the image HEALTHCHECK, and beat's dispatcher creates a due run
that the worker executes against the sandbox.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time as clock
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis
import yaml
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, make_url

from agent.config import Settings, load_settings
from agent.store import customers, migrate
from agent.store.db import Database
from agent.store.models import Base, Decision, Run
from agent.worker.app import create_app

REPO = Path(__file__).resolve().parents[3]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"

SERVICES = {"postgres", "redis", "sandbox", "migrate", "worker", "beat", "flower"}
AGENT_SERVICES = ("sandbox", "migrate", "worker", "beat", "flower")
LONG_RUNNING = ("sandbox", "worker", "beat", "flower")
AGENT_IMAGE = "growth-agent"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a server in a container must bind to
# What the runtime image (python:3.11-slim plus the venv on PATH) can execute, and how to run it here.
# There is no curl or wget in the image: a healthcheck must use one of these.
LOCAL_EXECUTABLES = {
    "agent": [sys.executable, "-m", "agent"],
    "celery": [sys.executable, "-m", "celery"],
    "python": [sys.executable],
}
SANDBOX_PROJECT = "prj_00000001-0000-4000-8000-000000000000"  # in the demo scenario, no posts yet
REDIS_PORT = 6379  # what redis-server listens on inside its container
START_TIMEOUT_S = 30
RUN_TIMEOUT_S = 20


# --------------------------------------------------------------------------------------------------
# Reading the compose file as Compose does


VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


class InterpolationError(ValueError):
    """`${VAR:?message}` on an unset variable, or a malformed `${…}`."""


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Compose's variable substitution: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
    `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`; the `:` forms treat
    an empty value like an unset one."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value
    return VARIABLE.sub(lambda match: _substitute(match, variables), value)


def _substitute(match: re.Match[str], variables: Mapping[str, str]) -> str:
    if match["escaped"]:
        return "$"
    if match["named"]:
        return variables.get(match["named"], "")
    parsed = BRACED.fullmatch(match["braced"])
    if parsed is None:
        raise InterpolationError(f"invalid interpolation {match[0]!r}")
    name, op, arg = parsed["name"], parsed["op"], parsed["arg"] or ""
    current = variables.get(name)
    if op is None:
        return current or ""
    present = bool(current) if op.startswith(":") else current is not None
    kind = op[-1]
    if kind == "-":
        return current if present and current is not None else interpolate(arg, variables)
    if kind == "+":
        return interpolate(arg, variables) if present else ""
    if not present or current is None:  # kind == "?"
        raise InterpolationError(f"{name}: {arg or 'is not set'}")
    return current


def read_dotenv(path: Path | None) -> dict[str, str]:
    """The `KEY=value` lines of a `.env` file (comments, blank lines, `export ` and quotes handled)."""
    if path is None or not path.is_file():
        return {}
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_compose(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, Any]:
    """The compose file after merge keys and interpolation; the shell wins over `.env`, as in Compose.

    The default is no shell variables and no `.env`: the documented defaults, whatever this machine has.
    """
    variables = {**read_dotenv(dotenv), **(environ or {})}
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), variables)


def as_argv(value: str | list[Any] | None) -> list[str] | None:
    if value is None:
        return None
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment`, in either the mapping or the `KEY=value` list form."""
    declared = service.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.partition("=")[::2] for item in declared)
    return {key: "" if value is None else str(value) for key, value in declared.items()}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """{dependency: condition}; the short (list) form means `service_started`."""
    declared = service.get("depends_on") or {}
    if isinstance(declared, list):
        return dict.fromkeys(declared, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in declared.items()}


def startup_order(services: Mapping[str, Any]) -> list[str]:
    """Services ordered so that each one comes after what it depends on (fails on a cycle)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        assert name not in visiting, f"depends_on cycle through {name}"
        visiting.add(name)
        for dependency in depends_on(services[name]):
            visit(dependency)
        visiting.discard(name)
        order.append(name)

    for name in services:
        visit(name)
    return order


def published_ports(service: Mapping[str, Any]) -> list[int]:
    """The container side of each `ports` entry ("8080:8080", "127.0.0.1:8080:8080", or long form)."""
    ports = []
    for entry in service.get("ports") or []:
        target = entry["target"] if isinstance(entry, dict) else str(entry).rsplit(":", 1)[-1]
        ports.append(int(str(target).split("/", 1)[0]))
    return ports


def listening_port(argv: list[str]) -> int | None:
    for index, arg in enumerate(argv):
        if arg == "--port" and index + 1 < len(argv):
            return int(argv[index + 1])
        if arg.startswith("--port="):
            return int(arg.removeprefix("--port="))
    return None


def option(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.partition("=")[2]
    return None


# The Dockerfile's runtime stage: what a container of the agent image runs when Compose does not say.


def runtime_stage() -> str:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return re.split(r"^(?=FROM\s)", joined, flags=re.M)[-1]


def image_instruction(name: str) -> str:
    found = re.findall(rf"^{name}\s+(.+)$", runtime_stage(), flags=re.M)
    assert found, f"the Dockerfile's runtime stage has no {name}"
    return found[-1].strip()


def image_entrypoint() -> list[str]:
    return json.loads(image_instruction("ENTRYPOINT"))


def image_cmd() -> list[str]:
    return json.loads(image_instruction("CMD"))


def image_healthcheck() -> list[str] | None:
    match = re.search(r"\bCMD\s+(\[.*\])", image_instruction("HEALTHCHECK"))
    return json.loads(match[1]) if match else None


def uses_agent_image(service: Mapping[str, Any]) -> bool:
    return str(service.get("image", "")).split(":", 1)[0] == AGENT_IMAGE


def container_argv(service: Mapping[str, Any]) -> list[str]:
    """What the container runs: a Compose `entrypoint` replaces the image's ENTRYPOINT and CMD."""
    entrypoint = as_argv(service.get("entrypoint"))
    command = as_argv(service.get("command"))
    if entrypoint is None:
        return [*image_entrypoint(), *(command if command is not None else image_cmd())]
    return [*entrypoint, *(command or [])]


def healthcheck_argv(service: Mapping[str, Any]) -> list[str] | None:
    """The healthcheck the container runs: the service's own, or the image HEALTHCHECK it inherits."""
    check = service.get("healthcheck")
    if check and (check.get("disable") or as_argv(check.get("test")) == ["NONE"]):
        return None
    test = as_argv(check.get("test")) if check else None
    if test is None:
        return image_healthcheck() if uses_agent_image(service) else None
    if test[0] == "CMD":
        return test[1:]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", " ".join(test[1:])]
    return ["sh", "-c", " ".join(test)]


# --------------------------------------------------------------------------------------------------
# The structure the stack needs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose) -> dict[str, Any]:
    return compose["services"]


def test_the_stack_has_every_service(services):
    assert set(services) == SERVICES


def test_postgres_keeps_its_data_in_a_volume_and_has_a_healthcheck(compose, services):
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


def test_redis_is_durable_and_never_evicts_messages(services):
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


def test_agent_services_run_the_agent_image_with_a_valid_configuration(services):
    for name in AGENT_SERVICES:
        service = services[name]
        assert uses_agent_image(service), name
        assert service.get("build") is not None, f"{name} cannot be built by `docker compose up --build`"
        env = environment(service)
        # The settings the container will read are valid (a ConfigError would crash-loop it).
        settings = load_settings(_env_file=None, **{key.lower(): value for key, value in env.items()})
        assert settings.database_url.startswith("postgresql+psycopg://"), name
        assert settings.redis_url is not None, name


def test_the_image_runs_the_agent_command_and_checks_its_health_with_agent_ping():
    assert image_entrypoint() == ["agent"]
    assert image_healthcheck() == ["agent", "ping"]
    assert image_instruction("FROM").startswith("python:3.11-slim")
    assert image_instruction("USER") not in ("root", "0")
    assert 'agent = "agent.cli:app"' in (REPO / "pyproject.toml").read_text()


def test_each_agent_service_runs_its_command(services):
    assert container_argv(services["sandbox"])[:2] == ["agent", "sandbox"]
    assert container_argv(services["migrate"]) == ["agent", "migrate"]
    assert container_argv(services["worker"])[:2] == ["agent", "worker"]
    assert container_argv(services["beat"])[:2] == ["agent", "beat"]
    flower = container_argv(services["flower"])
    assert flower[0] == "celery"
    assert "flower" in flower
    assert option(flower, "--app") == "agent.worker.app" or option(flower, "-A") == "agent.worker.app"


def test_migrate_is_one_shot_and_the_others_restart(services):
    assert services["migrate"]["restart"] == "no"
    assert healthcheck_argv(services["migrate"]) is None
    for name in LONG_RUNNING:
        assert services[name]["restart"] in ("unless-stopped", "always"), name


def test_every_dependency_waits_for_health_or_for_migrate_to_finish(services):
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


def test_agent_healthchecks_use_what_the_image_has(services):
    for name in AGENT_SERVICES:
        check = healthcheck_argv(services[name])
        if check is None:
            continue
        program = shlex.split(check[2])[0] if check[:2] == ["sh", "-c"] else check[0]
        assert program in LOCAL_EXECUTABLES, f"{name}'s healthcheck runs {program}, absent from the image"


def test_servers_listen_on_every_interface_on_the_ports_they_publish_and_check(services):
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


def test_layers_base_url_defaults_to_the_sandbox(services):
    port = listening_port(container_argv(services["sandbox"]))
    for name in AGENT_SERVICES:
        env = environment(services[name])
        assert env["LAYERS_BASE_URL"] == f"http://sandbox:{port}", name
        assert env["LAYERS_API_KEY"].startswith("lp_test_"), name


def test_layers_base_url_and_key_come_from_the_shell():
    compose = load_compose(
        {"LAYERS_BASE_URL": "https://api.layers.com", "LAYERS_API_KEY": "lp_live_abc_secret"}
    )
    for name in AGENT_SERVICES:
        env = environment(compose["services"][name])
        assert env["LAYERS_BASE_URL"] == "https://api.layers.com", name
        assert env["LAYERS_API_KEY"] == "lp_live_abc_secret", name


def test_a_dotenv_next_to_the_compose_file_overrides_and_the_shell_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# the real API\nLAYERS_BASE_URL=https://api.layers.com\nexport LAYERS_API_KEY='lp_live_a_b'\n"
    )
    from_file = environment(load_compose({}, dotenv)["services"]["worker"])
    assert from_file["LAYERS_BASE_URL"] == "https://api.layers.com"
    assert from_file["LAYERS_API_KEY"] == "lp_live_a_b"
    shell = environment(load_compose({"LAYERS_BASE_URL": "http://other:1"}, dotenv)["services"]["worker"])
    assert shell["LAYERS_BASE_URL"] == "http://other:1"


def test_an_empty_override_falls_back_to_the_default():
    env = environment(load_compose({"LAYERS_BASE_URL": ""})["services"]["beat"])
    assert env["LAYERS_BASE_URL"] == "http://sandbox:8080"


def test_interpolation_forms():
    variables = {"SET": "value", "EMPTY": ""}
    assert interpolate("$$SET ${SET} $SET", variables) == "$SET value value"
    assert interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", variables) == "d d  d"
    assert interpolate("${SET:+r} ${EMPTY:+r} ${EMPTY+r}", variables) == "r  r"
    assert interpolate({"k": ["${SET}", 1]}, variables) == {"k": ["value", 1]}
    with pytest.raises(InterpolationError, match="needed"):
        interpolate("${EMPTY:?needed}", variables)
    with pytest.raises(InterpolationError, match="invalid"):
        interpolate("${1BAD}", variables)


# --------------------------------------------------------------------------------------------------
# Starting the services on this machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any],
    *,
    what: str,
    timeout: float = START_TIMEOUT_S,
    interval: float = 0.25,
    alive: Callable[[], str | None] = lambda: None,
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        died = alive()
        if died:
            raise AssertionError(f"{what}: {died}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]


# Settings the agent reads from the environment: none may leak from this shell into a "container".
SETTINGS_VARIABLES = {name.upper() for name in Settings.model_fields}


class Stack:
    """The compose services as local processes, with the Compose names mapped to this machine.

    PostgreSQL is the test server (a fresh database). Redis is the compose `redis` command itself on a
    private port when redis-server is installed: the shared TEST_REDIS_URL database is also the broker
    of any other agent test running on this machine, whose workers would take this stack's messages
    (and this stack's worker theirs). Without redis-server, TEST_REDIS_URL stands in.
    """

    def __init__(
        self, compose: dict[str, Any], *, database_url: str, shared_redis_url: str | None, workdir: Path
    ):
        self.services: dict[str, Any] = compose["services"]
        self.database_url = make_url(database_url)
        self.shared_redis_url = shared_redis_url
        self.private_redis = shutil.which("redis-server") is not None
        assert self.private_redis or shared_redis_url, "no redis-server and no TEST_REDIS_URL"
        self.workdir = workdir
        # Every published container port gets a free port here (several stacks may share a machine).
        self.ports = {port: free_port() for s in self.services.values() for port in published_ports(s)}
        if self.private_redis:
            self.ports[REDIS_PORT] = free_port()
        self.worker_node = f"compose-worker-{uuid.uuid4().hex[:8]}@localhost"
        # What a container gets for free: a hostname of its own, and a fast beat for this test.
        self.extra_args = {"worker": [f"--hostname={self.worker_node}"]}
        self.extra_env = {"beat": {"DISPATCH_INTERVAL_S": "1"}}
        self.processes: dict[str, Process] = {}
        self.healthy: set[str] = set()

    # mapping ---------------------------------------------------------------------------------------

    def port(self, container_port: int) -> int:
        return self.ports.get(container_port, container_port)

    def localize(self, value: str) -> str:
        """A Compose-network value rewritten for this machine."""
        if re.fullmatch(r"[a-z][\w+.-]*://\S+", value):
            host = urlsplit(value).hostname
            if host == "postgres":
                return self._database_url(value)
            if host == "redis" and not self.private_redis:
                return str(self.shared_redis_url)
        if value.startswith("/tmp/"):  # each container has its own /tmp
            return str(self.workdir / value.removeprefix("/tmp/"))
        value = value.replace(ALL_INTERFACES, "127.0.0.1")
        return re.sub(
            r"(?:(?P<host>[A-Za-z][\w-]*):)?(?<![\w.])(?P<port>\d+)(?![\d.])", self._endpoint, value
        )

    def _endpoint(self, match: re.Match[str]) -> str:
        host, port = match["host"], str(self.port(int(match["port"])))
        if host in self.services:
            host = "127.0.0.1"
        return f"{host}:{port}" if host else port

    def _database_url(self, value: str) -> str:
        target: URL = self.database_url
        return (
            make_url(value)
            .set(
                host=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                database=target.database,
            )
            .render_as_string(hide_password=False)
        )

    def local_argv(self, argv: list[str]) -> list[str]:
        program, *args = argv
        assert program in LOCAL_EXECUTABLES, f"{program} is not something the agent image runs"
        return [*LOCAL_EXECUTABLES[program], *(self.localize(arg) for arg in args)]

    def env(self, name: str) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if key.upper() not in SETTINGS_VARIABLES and not key.upper().startswith(("CELERY_", "FLOWER_"))
        }
        service_env = {key: self.localize(value) for key, value in environment(self.services[name]).items()}
        return {**inherited, "PYTHONUNBUFFERED": "1", **service_env, **self.extra_env.get(name, {})}

    def argv(self, name: str) -> list[str]:
        return [*self.local_argv(container_argv(self.services[name])), *self.extra_args.get(name, [])]

    # processes -------------------------------------------------------------------------------------

    def start(self, name: str) -> Process:
        return self.spawn(name, self.argv(name), self.env(name))

    def start_redis(self) -> Process:
        """The compose redis command, on this stack's own port, with its files in the work directory."""
        command = as_argv(self.services["redis"].get("command")) or ["redis-server"]
        assert command[0] == "redis-server", command
        local = ["--port", str(self.port(REDIS_PORT)), "--bind", "127.0.0.1", "--dir", str(self.workdir)]
        return self.spawn("redis", [*command, *local], dict(os.environ))

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = self.workdir / f"{name}.log"
        handle = log.open("wb")
        popen = subprocess.Popen(
            argv,
            env=env,
            cwd=self.workdir,  # like /app in the image: no .env, no checkout around it
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = Process(name, popen, log, handle)
        return self.processes[name]

    def up(self) -> None:
        """Start the agent services in depends_on order, waiting on each condition as Compose does."""
        for name in startup_order(self.services):
            if name == "redis" and self.private_redis:
                self.start_redis()
            if name not in AGENT_SERVICES:
                continue
            for dependency, condition in depends_on(self.services[name]).items():
                self.wait_for(dependency, condition, by=name)
            self.start(name)

    def wait_for(self, dependency: str, condition: str, *, by: str) -> None:
        what = f"{by} waits for {dependency} ({condition})"
        if condition == "service_completed_successfully":
            process = self.processes[dependency].popen
            try:
                code = process.wait(timeout=START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{what}: still running\n{self.logs(dependency)}") from None
            assert code == 0, f"{what}: exited {code}\n{self.logs(dependency)}"
        elif condition == "service_healthy" and dependency not in self.healthy:
            wait_until(
                lambda: self.healthcheck(dependency).returncode == 0,
                what=f"{what}\n{self.logs(dependency)}",
                alive=lambda: self.exited(dependency),
            )
            self.healthy.add(dependency)

    def exited(self, name: str) -> str | None:
        process = self.processes.get(name)
        if process is None or process.popen.poll() is None:
            return None
        return f"{name} exited {process.popen.returncode}\n{self.logs(name)}"

    def healthcheck(self, name: str) -> subprocess.CompletedProcess[str]:
        """Run the service's healthcheck here: the agent image's with this machine's ports and hosts;
        PostgreSQL's and Redis's own against the local servers."""
        check = healthcheck_argv(self.services[name])
        assert check is not None, f"{name} has no healthcheck"
        env = self.env(name) if name in AGENT_SERVICES else dict(os.environ)
        if name in AGENT_SERVICES:
            argv = self.local_argv(check)
        elif name == "postgres":  # pg_isready in the container talks to its own socket
            argv = check
            env |= {"PGHOST": self.database_url.host or "", "PGPORT": str(self.database_url.port or 5432)}
        elif name == "redis":
            url = urlsplit(self.redis_url())
            argv = [check[0], "-h", url.hostname or "", "-p", str(url.port or REDIS_PORT), *check[1:]]
        else:
            raise AssertionError(f"no local stand-in for {name}")
        try:
            return subprocess.run(
                argv, env=env, cwd=self.workdir, capture_output=True, text=True, timeout=20, check=False
            )
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(argv, -1, str(exc.stdout), str(exc.stderr))

    def redis_url(self) -> str:
        return self.localize(environment(self.services["worker"])["REDIS_URL"])

    def logs(self, *names: str) -> str:
        shown = [p for p in self.processes.values() if not names or p.name in names]
        return "\n".join(f"--- {p.name}\n{p.log.read_text(errors='replace')[-4000:]}" for p in shown)

    def down(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
                try:
                    process.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.popen.pid, signal.SIGKILL)
                    process.popen.wait()
            process.handle.close()


@contextmanager
def empty_database(database_url: str) -> Iterator[str]:
    """A new, empty database on the test server: what the postgres container starts with."""
    name = f"agent_compose_{uuid.uuid4().hex[:10]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def stack(compose, database_url, tmp_path_factory) -> Iterator[Stack]:
    shared_redis_url = os.environ.get("TEST_REDIS_URL")
    if not shared_redis_url and shutil.which("redis-server") is None:
        pytest.fail("TEST_REDIS_URL is not set: run the suite with scripts/test (it starts Redis)")
    with empty_database(database_url) as url:
        running = Stack(
            compose,
            database_url=url,
            shared_redis_url=shared_redis_url,
            workdir=tmp_path_factory.mktemp("compose"),
        )
        try:
            running.up()
            yield running
        finally:
            running.down()


def test_postgres_and_redis_healthchecks_pass_against_the_local_servers(stack):
    for name in ("postgres", "redis"):
        result = stack.healthcheck(name)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_migrate_exits_zero_and_leaves_the_schema_at_head(stack):
    process = stack.processes["migrate"].popen
    assert process.wait(timeout=START_TIMEOUT_S) == 0, stack.logs("migrate")
    url = stack.localize(environment(stack.services["migrate"])["DATABASE_URL"])
    engine = create_engine(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert version == ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()


def test_sandbox_answers_and_passes_its_healthcheck(stack):
    base = stack.localize(environment(stack.services["worker"])["LAYERS_BASE_URL"])
    response = wait_until(
        lambda: http_get(f"{base}/_sandbox/health"),
        what=f"the sandbox at {base}",
        alive=lambda: stack.exited("sandbox"),
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    result = stack.healthcheck("sandbox")
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{stack.logs('sandbox')}"


def test_worker_answers_a_ping_and_its_image_healthcheck(stack):
    env = stack.env("worker")
    app = create_app(
        load_settings(_env_file=None, redis_url=env["REDIS_URL"], database_url=env["DATABASE_URL"])
    )
    try:
        replies = wait_until(
            lambda: app.control.ping(destination=[stack.worker_node], timeout=1.0),
            what=f"a ping reply from {stack.worker_node}\n{stack.logs('worker')}",
            alive=lambda: stack.exited("worker"),
        )
    finally:
        app.close()
    assert replies == [{stack.worker_node: {"ok": "pong"}}]
    metrics = http_get(f"http://127.0.0.1:{env['METRICS_PORT']}/metrics")
    assert metrics is not None, "the published metrics port does not answer"
    assert metrics.status_code == 200
    result = stack.healthcheck("worker")  # the image HEALTHCHECK: agent ping
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"


def test_beat_dispatches_a_due_run_that_the_worker_executes(stack):
    env = stack.env("beat")
    db = Database.from_url(env["DATABASE_URL"])
    try:
        with db.session() as session:
            # Due from local midnight on: due at every instant of the day, in UTC.
            customer_id = customers.add(
                session,
                layers_project_id=SANDBOX_PROJECT,
                name=f"compose-{uuid.uuid4().hex[:6]}",
                timezone="UTC",
                run_at=clock(0, 0),
            ).id

        def run(status: tuple[str, ...] | None = None) -> Run | None:
            with db.session() as session:
                query = select(Run).where(Run.customer_id == customer_id, Run.loop == "publish_to_learn")
                found = session.scalars(query).first()
                return found if found and (status is None or found.status in status) else None

        alive = lambda: stack.exited("beat") or stack.exited("worker")  # noqa: E731
        wait_until(
            run,
            what=f"beat to dispatch a run\n{stack.logs('beat', 'worker')}",
            timeout=RUN_TIMEOUT_S,
            alive=alive,
        )
        done = wait_until(
            lambda: run(("succeeded", "failed")),
            what=f"the worker to execute the run\n{stack.logs('worker')}",
            timeout=RUN_TIMEOUT_S,
            alive=alive,
        )
        assert done.status == "succeeded", f"{done.error}\n{stack.logs('worker')}"
        assert done.trigger == "schedule"
        # The run read the project from the sandbox through the mapped LAYERS_BASE_URL and decided.
        with db.session() as session:
            decided = session.scalars(select(Decision).where(Decision.run_id == done.id)).all()
        summaries = [d for d in decided if (d.subject_type, d.subject_id) == ("customer", SANDBOX_PROJECT)]
        assert len(summaries) == 1, [(d.action, d.reason, d.subject_id) for d in decided]
        assert "posts_seen" in summaries[0].evidence, summaries[0].evidence
    finally:
        db.dispose()


def test_flower_answers_and_passes_its_healthcheck(stack):
    port = stack.port(listening_port(container_argv(stack.services["flower"])) or 0)
    response = wait_until(
        lambda: http_get(f"http://127.0.0.1:{port}/healthcheck"),
        what=f"flower on port {port}\n{stack.logs('flower')}",
        alive=lambda: stack.exited("flower"),
    )
    assert response.status_code == 200
    assert response.text == "OK"
    result = stack.healthcheck("flower")
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{stack.logs('flower')}"


def test_every_long_running_service_is_still_up(stack):
    for name in LONG_RUNNING:
        assert stack.exited(name) is None


def test_redis_runs_its_compose_command_with_persistence_and_no_eviction(stack):
    if "redis" not in stack.processes:
        pytest.skip("redis-server is not installed: the stack used TEST_REDIS_URL")
    assert stack.exited("redis") is None
    client = redis.Redis.from_url(stack.redis_url(), decode_responses=True)
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        client.close()
