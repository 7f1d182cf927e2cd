"""The compose services started as local processes (`Stack`), with the Compose host names and ports
mapped to this machine, and the helpers that waiting on them needs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import URL, make_url

from agent.config import Settings
from tests.support.compose import (
    as_argv,
    container_argv,
    depends_on,
    environment,
    healthcheck_argv,
    published_ports,
    startup_order,
)

AGENT_SERVICES = ("sandbox", "migrate", "worker", "beat", "flower", "webhooks")  # the agent image's services
LONG_RUNNING = ("sandbox", "worker", "beat", "flower", "webhooks")  # all but migrate, which runs once
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a server in a container must bind to
# What the runtime image (python:3.11-slim plus the venv on PATH) can execute, and how to run it here.
# There is no curl or wget in the image: a healthcheck must use one of these.
LOCAL_EXECUTABLES = {
    "agent": [sys.executable, "-m", "agent"],
    "celery": [sys.executable, "-m", "celery"],
    "python": [sys.executable],
}
REDIS_PORT = 6379  # what redis-server listens on inside its container
START_TIMEOUT_S = 90

T = TypeVar("T")


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    predicate: Callable[[], T | None],
    *,
    what: str,
    timeout: float = START_TIMEOUT_S,
    interval: float = 0.25,
    alive: Callable[[], str | None] = lambda: None,
) -> T:
    """The first truthy value of `predicate`; fails when `alive` reports a death or time runs out."""
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
    """The answer, or None when nothing answers."""
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


@dataclass
class Process:
    """A started service: its process and its log file."""

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
    ) -> None:
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
        """The local port standing in for a container port."""
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
        """A container argv as a command line here: the image's program, the arguments localized."""
        program, *args = argv
        assert program in LOCAL_EXECUTABLES, f"{program} is not something the agent image runs"
        return [*LOCAL_EXECUTABLES[program], *(self.localize(arg) for arg in args)]

    def env(self, name: str) -> dict[str, str]:
        """A service's environment here: this shell's without any agent setting, plus the service's."""
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
        """Start argv in a session of its own, its output in `<workdir>/<name>.log`."""
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
        """How `name` ended (exit code and log), or None while it runs or before it starts."""
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
        """The broker the agent services use here."""
        return self.localize(environment(self.services["worker"])["REDIS_URL"])

    def logs(self, *names: str) -> str:
        """The end of the log of each service named (of every service by default)."""
        shown = [p for p in self.processes.values() if not names or p.name in names]
        return "\n".join(f"--- {p.name}\n{p.log.read_text(errors='replace')[-4000:]}" for p in shown)

    def down(self) -> None:
        """Stop every service, the last started first: SIGTERM, then SIGKILL after 10 s."""
        for process in reversed(list(self.processes.values())):
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
                try:
                    process.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.popen.pid, signal.SIGKILL)
                    process.popen.wait()
            process.handle.close()
