"""The domain core stays pure: the rules import only the standard library, `agent.domain` and themselves;
`agent.domain` only the standard library and itself; neither reads the clock."""

import ast
import sys
from pathlib import Path

import pytest

import agent.domain
import agent.rules

RULES_DIR = Path(agent.rules.__file__).parent
DOMAIN_DIR = Path(agent.domain.__file__).parent
MODULES = sorted(RULES_DIR.glob("*.py")) + sorted(DOMAIN_DIR.glob("*.py"))
# What each core package may import beyond the standard library.
ALLOWED = {"rules": ("agent.rules", "agent.domain"), "domain": ("agent.domain",)}
# Reading the clock makes a decision unreplayable; `now` is always an argument.
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def _imports(tree: ast.Module, package: str = "agent.rules") -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolves inside its own package
                names.append(package)
            else:
                names.append(node.module or "")
    return names


def _allowed(module: str, allowed: tuple[str, ...] = ALLOWED["rules"]) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or any(
        module == own or module.startswith(f"{own}.") for own in allowed
    )


def test_every_core_module_is_checked():
    assert {f"{path.parent.name}/{path.stem}" for path in MODULES} >= {
        "rules/__init__",
        "rules/thresholds",
        "rules/publish",
        "rules/optimization",
        "rules/recommendations",
        "rules/policy",
        "rules/review",
        "rules/schedule",
        "domain/vocabulary",
        "domain/evidence",
        "domain/decisions",
        "domain/records",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_imports_nothing_but_stdlib_and_the_core(path):
    package = f"agent.{path.parent.name}"
    names = _imports(ast.parse(path.read_text()), package)
    offending = [name for name in names if not _allowed(name, ALLOWED[path.parent.name])]
    assert offending == [], f"{path.parent.name}/{path.name} imports infrastructure: {offending}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_never_reads_the_clock(path):
    calls = [
        ast.unparse(node.func)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
    ]
    assert calls == [], f"{path.name} reads the clock: {calls}"


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        pytest.param("import statistics", True, id="stdlib"),
        pytest.param("from agent.rules.thresholds import Thresholds", True, id="rules-absolute"),
        pytest.param("from .thresholds import Thresholds", True, id="rules-relative"),
        pytest.param("import sqlalchemy", False, id="sqlalchemy"),
        pytest.param("from pydantic import BaseModel", False, id="pydantic"),
        pytest.param("import httpx", False, id="httpx"),
        pytest.param("from agent.config import load_settings", False, id="agent-config"),
        pytest.param("from agent.store import db", False, id="agent-store"),
        pytest.param("import agent.layers.client", False, id="agent-layers"),
        pytest.param("from agent import config", False, id="agent-package"),
        pytest.param("from agent.domain.vocabulary import Reason", True, id="domain"),
        pytest.param("from agent.loops import runner", False, id="agent-loops"),
    ],
)
def test_the_import_check_itself(source, allowed):
    assert all(_allowed(name) for name in _imports(ast.parse(source))) is allowed
