"""The rules stay pure: stdlib and agent.rules imports only, and no reading of the clock."""

import ast
import sys
from pathlib import Path

import pytest

import agent.rules

RULES_DIR = Path(agent.rules.__file__).parent
MODULES = sorted(RULES_DIR.glob("*.py"))
# Reading the clock makes a decision unreplayable; `now` is always an argument.
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "time_ns"}


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolves inside agent.rules
                names.append("agent.rules")
            else:
                names.append(node.module or "")
    return names


def _allowed(module: str) -> bool:
    return (
        module == "agent.rules"
        or module.startswith("agent.rules.")
        or (module.split(".")[0] in sys.stdlib_module_names)
    )


def test_every_rules_module_is_checked():
    assert {path.stem for path in MODULES} >= {
        "__init__",
        "thresholds",
        "publish",
        "optimization",
        "review",
        "schedule",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_imports_nothing_but_stdlib_and_rules(path):
    offending = [name for name in _imports(ast.parse(path.read_text())) if not _allowed(name)]
    assert offending == [], f"{path.name} imports infrastructure: {offending}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
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
    ],
)
def test_the_import_check_itself(source, allowed):
    assert all(_allowed(name) for name in _imports(ast.parse(source))) is allowed
