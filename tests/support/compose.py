"""docker-compose.yml and the Dockerfile read the way Docker Compose reads them, without a Docker engine.

The compose file is parsed with YAML anchors and `<<:` merge keys, then `${VAR:-default}` and its
siblings are interpolated from the shell and a `.env` file. A service is then resolved to what its
container would do: its command line (the image ENTRYPOINT, or the service's `entrypoint`, followed by
its `command` or the image CMD), its environment, its published ports, its healthcheck (its own or the
image HEALTHCHECK) and its `depends_on` conditions; the services are put in start order.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
AGENT_IMAGE = "growth-agent"  # the image the Dockerfile builds, as the compose services name it

# --------------------------------------------------------------------------------------------------
# Interpolation

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
        return current if present and current is not None else str(interpolate(arg, variables))
    if kind == "+":
        return str(interpolate(arg, variables)) if present else ""
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
    loaded: dict[str, Any] = interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), variables)
    return loaded


# --------------------------------------------------------------------------------------------------
# A service's fields, in every form Compose accepts


def as_argv(value: str | list[Any] | None) -> list[str] | None:
    """A command in the string (shell-split) or list form, as an argv."""
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


def option(argv: list[str], name: str) -> str | None:
    """The value of `name VALUE` or `name=VALUE` in an argv."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.partition("=")[2]
    return None


def listening_port(argv: list[str]) -> int | None:
    """The `--port` a server's argv asks for."""
    port = option(argv, "--port")
    return None if port is None else int(port)


# --------------------------------------------------------------------------------------------------
# The Dockerfile's runtime stage: what a container of the agent image runs when Compose does not say


def runtime_stage() -> str:
    """The last stage of the Dockerfile, with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    return re.split(r"^(?=FROM\s)", joined, flags=re.M)[-1]


def image_instruction(name: str) -> str:
    """The arguments of the runtime stage's last `name` instruction (the one in force)."""
    found = re.findall(rf"^{name}\s+(.+)$", runtime_stage(), flags=re.M)
    assert found, f"the Dockerfile's runtime stage has no {name}"
    return str(found[-1]).strip()


def _json_argv(text: str) -> list[str]:
    parsed = json.loads(text)
    assert isinstance(parsed, list), f"not an exec-form (JSON list) instruction: {text}"
    return [str(part) for part in parsed]


def image_entrypoint() -> list[str]:
    return _json_argv(image_instruction("ENTRYPOINT"))


def image_cmd() -> list[str]:
    return _json_argv(image_instruction("CMD"))


def image_healthcheck() -> list[str] | None:
    """The image HEALTHCHECK's exec-form command, or None when it has none."""
    match = re.search(r"\bCMD\s+(\[.*\])", image_instruction("HEALTHCHECK"))
    return _json_argv(match[1]) if match else None


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
