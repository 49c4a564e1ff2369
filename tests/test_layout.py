"""The package's modules import each other without cycles.

Every import statement counts, at module level or inside a function, except those under
``if TYPE_CHECKING:`` (annotations only: they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import cleanroomsml_mock

PACKAGE = Path(cleanroomsml_mock.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                skipped.update(id(inner) for inner in ast.walk(statement))
    return skipped


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of the package it imports (``from . import x``: module ``x``)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    graph = _imports(_modules())
    assert "cleanroomsml_mock.active" in graph["cleanroomsml_mock.interceptor"]
    assert "cleanroomsml_mock.dispatch" in graph["cleanroomsml_mock.raw_requests"]  # in a def
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_cycles() -> None:
    assert _cycles(_imports(_modules())) == []


CONTROLS = (
    "calls", "reset", "set_status", "advance", "inject_error", "clear_errors", "seed",
    "set_quota", "add_membership", "save_state", "load_state", "audience_export_job_arn",
)  # fmt: skip


def test_the_test_controls_are_written_once() -> None:
    from cleanroomsml_mock.controls import Controls
    from cleanroomsml_mock.mock import CleanRoomsMLMock
    from cleanroomsml_mock.world import World

    for name in CONTROLS:
        assert name in vars(Controls), name
        assert name not in vars(CleanRoomsMLMock), name
        assert name == "reset" or not hasattr(World, name), name  # World.reset: clears state
