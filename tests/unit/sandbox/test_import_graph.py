"""The sandbox's module import graph: acyclic, and closed to the rest of the agent.

Imports are read with `ast`, so lazy imports inside functions and `if TYPE_CHECKING:` blocks count:
a cycle cannot be hidden from this test. Implicit imports of a parent package (running
`agent/sandbox/__init__.py` before a submodule) are not edges; an explicit `from agent.sandbox import
Name` of a non-module name is one, to `agent.sandbox` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import agent.sandbox

PACKAGE = "agent.sandbox"
ROOT = Path(agent.sandbox.__file__).parent
ALLOWED_OUTSIDE = {"agent.logging"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(module: str, path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every import statement in the file, wherever it stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found += [(base, alias.name) for alias in node.names]
    return found


def _graph() -> dict[str, set[str]]:
    """Edges between sandbox modules; `from agent.sandbox import ids` is an edge to agent.sandbox.ids."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        edges = set()
        for base, name in _imports(module, path):
            target = f"{base}.{name}" if name and f"{base}.{name}" in modules else base
            if target in modules and target != module:
                edges.add(target)
        graph[module] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a path [a, b, ..., a], or None (iterative three-colour depth-first search)."""
    colour = dict.fromkeys(graph, "white")
    for root in sorted(graph):
        if colour[root] != "white":
            continue
        stack: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        path = [root]
        colour[root] = "grey"
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = "black"
                stack.pop()
                path.pop()
                continue
            target = pending.pop()
            if colour[target] == "grey":
                return [*path[path.index(target) :], target]
            if colour[target] == "white":
                colour[target] = "grey"
                path.append(target)
                stack.append((target, sorted(graph[target])))
    return None


def test_the_module_import_graph_is_acyclic():
    assert _find_cycle(_graph()) is None


def test_the_graph_sees_real_edges_so_the_check_is_not_vacuous():
    graph = _graph()
    assert "agent.sandbox.pipeline" in graph["agent.sandbox.sandbox"]
    assert "agent.sandbox.admin" in graph["agent.sandbox.sandbox"]
    assert "agent.sandbox.ids" in graph["agent.sandbox.pipeline"]
    assert "agent.sandbox" not in graph["agent.sandbox.pipeline"]
    assert "agent.sandbox.endpoints.clones" in graph["agent.sandbox.routes"]


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_sandbox_imports_nothing_else_of_the_agent():
    """Written from the contract alone: never agent.layers (the client), nor any other agent module."""
    outside = {
        (module, base)
        for module, path in _modules().items()
        for base, _ in _imports(module, path)
        if (base == "agent" or base.startswith("agent."))
        and not (base == PACKAGE or base.startswith(PACKAGE + "."))
        and base not in ALLOWED_OUTSIDE
    }
    assert outside == set()
