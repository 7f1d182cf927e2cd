"""The shape of the code, checked: SQL lives only in the store, the loops talk to ports, loops do not import
one another, and tasks stay thin."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import agent

PACKAGE = Path(agent.__file__).parent
LOOP_MODULES = ("publish_to_learn", "optimization", "weekly_review")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(*parts: str) -> list[Path]:
    return sorted((PACKAGE.joinpath(*parts)).rglob("*.py"))


def imports_any(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in imports(path) if any(n == p or n.startswith(f"{p}.") for p in prefixes))


@pytest.mark.parametrize("path", modules("loops"), ids=lambda p: p.name)
def test_loops_import_no_sql_and_no_store(path):
    assert imports_any(path, ("sqlalchemy", "agent.store", "agent.sandbox", "agent.worker")) == []


@pytest.mark.parametrize(
    "path", [p for p in modules() if "store" not in p.parts], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_sql_lives_only_in_the_store(path):
    assert imports_any(path, ("sqlalchemy",)) == []


@pytest.mark.parametrize("loop", LOOP_MODULES)
def test_no_loop_imports_another_loop(loop):
    others = tuple(f"agent.loops.{other}" for other in LOOP_MODULES if other != loop)
    assert imports_any(PACKAGE / "loops" / f"{loop}.py", others) == []


def test_tasks_only_orchestrate():
    tasks = PACKAGE / "worker" / "tasks.py"
    assert imports_any(tasks, ("sqlalchemy", "httpx", "agent.store", "agent.layers", "agent.rules")) == []
    assert len(tasks.read_text().splitlines()) < 60


def test_the_checks_see_an_offending_import(tmp_path):
    offending = tmp_path / "bad.py"
    offending.write_text("from sqlalchemy import select\nimport agent.store.runs\n")
    assert imports_any(offending, ("sqlalchemy", "agent.store")) == [
        "agent.store.runs",
        "sqlalchemy",
        "sqlalchemy.select",
    ]
