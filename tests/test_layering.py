"""The architecture, kept true by a test: who may import whom, and no import cycles.

Every `import` and `from … import` in `src/alliance_bot` counts, at the top of a
module or inside a function (a lazy import is still a dependency), except those
under `if TYPE_CHECKING:`, which never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "alliance_bot"

# layer -> the project packages/modules it must never import (prefix match on dotted names)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # the core knows nothing above it
    "alliance_bot.digest": (
        "alliance_bot.answers",
        "alliance_bot.present",
        "alliance_bot.storage",
        "alliance_bot.discord_ui",
        "alliance_bot.anniversaries",
        "alliance_bot.library",
        "alliance_bot.runner",
        "alliance_bot.cli",
        "alliance_bot.ask",
        "alliance_bot.ops",
        "alliance_bot.settings",
    ),
    "alliance_bot.present": ("alliance_bot.discord_ui", "alliance_bot.storage", "alliance_bot.runner"),
}
# layer -> the only project packages it may import (besides itself)
ONLY: dict[str, tuple[str, ...]] = {
    "alliance_bot.answers": ("alliance_bot.digest",),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported dotted name, line) for every import that can run."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    yield from visit(stmt)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    base = base[: len(base) - child.level + (1 if is_package else 0)]
                    prefix = ".".join(base + ([child.module] if child.module else []))
                else:
                    prefix = child.module or ""
                for alias in child.names:
                    # `from pkg import mod` imports the module pkg.mod when there is one
                    yield f"{prefix}.{alias.name}", child.lineno
                    yield prefix, child.lineno
            yield from visit(child)

    yield from visit(tree)


def _graph() -> dict[str, dict[str, int]]:
    """module -> {project module it imports: first line}."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for name, line in _imports(module, path):
            if name in modules and name != module:
                edges.setdefault(name, line)
        graph[module] = edges
    return graph


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _where(module: str, line: int) -> str:
    return f"{_modules()[module].relative_to(SRC.parent)}:{line}"


def test_only_the_discord_layer_imports_discord() -> None:
    offending = [
        f"{_where(module, line)}: {module} imports {name}"
        for module, path in _modules().items()
        if not _within(module, "alliance_bot.discord_ui")
        for name, line in _imports(module, path)
        if name.split(".")[0] in {"discord", "aiohttp"}
    ]
    assert not offending, "only alliance_bot.discord_ui may import discord:\n" + "\n".join(offending)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_nothing_above_them(layer: str) -> None:
    offending = [
        f"{_where(module, line)}: {module} imports {target}"
        for module, edges in _graph().items()
        if _within(module, layer)
        for target, line in edges.items()
        if any(_within(target, banned) for banned in FORBIDDEN[layer])
    ]
    assert not offending, f"{layer} must not import {', '.join(FORBIDDEN[layer])}:\n" + "\n".join(offending)


@pytest.mark.parametrize("layer", sorted(ONLY))
def test_answers_build_on_the_digest_alone(layer: str) -> None:
    allowed = (layer, *ONLY[layer], PACKAGE)
    offending = [
        f"{_where(module, line)}: {module} imports {target}"
        for module, edges in _graph().items()
        if _within(module, layer)
        for target, line in edges.items()
        if not any(target == a if a == PACKAGE else _within(target, a) for a in allowed)
    ]
    assert not offending, f"{layer} may import only {', '.join(ONLY[layer])}:\n" + "\n".join(offending)


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strongconnect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                strongconnect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ importing its own modules is not a cycle worth naming
    graph = {m: {t: ln for t, ln in edges.items() if not _within(t, m)} for m, edges in graph.items()}
    described = []
    for component in _cycles(graph):
        members = set(component)
        edges = [
            f"  {_where(m, line)}: {m} imports {t}" for m in component for t, line in graph[m].items() if t in members
        ]
        described.append(" <-> ".join(component) + "\n" + "\n".join(edges))
    assert not described, "import cycles:\n" + "\n".join(described)


def test_the_checker_sees_a_cycle_a_lazy_import_and_skips_type_checking(tmp_path: Path) -> None:
    """The tests above can fail: a cycle is found, a function-level import counts, TYPE_CHECKING does not."""
    assert _cycles({"a": {"b": 1}, "b": {"a": 7}, "c": {"a": 2}}) == [["a", "b"]]
    module = tmp_path / "mod.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "def f():\n    from alliance_bot.cli import main\n"
        "if TYPE_CHECKING:\n    import discord\n"
        "from . import sibling\n",
        encoding="utf-8",
    )
    names = {name for name, _ in _imports("alliance_bot.present.mod", module)}
    assert "alliance_bot.cli.main" in names
    assert "alliance_bot.cli" in names
    assert "alliance_bot.present.sibling" in names
    assert "discord" not in names
