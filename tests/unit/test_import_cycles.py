"""builders/ has no import cycle, and its sub-packages only import downwards; in agent/, only
the CLI package (agent.cli) renders: no other agent module imports it or click.

The imports are read from the source with ``ast`` (every ``import`` statement, including the
ones inside functions and ``TYPE_CHECKING`` blocks), so a cycle that only shows at run time in
one code path is found too.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Set
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "builders"
#: What each sub-package may import from builders/ besides itself (top-level modules are
#: builders.errors, builders.settings and builders.files).
ALLOWED = {
    "builders.cdc": {"builders.errors", "builders.files", "builders.safenames"},
    "builders.exports": {
        "builders.cdc",
        "builders.errors",
        "builders.files",
        "builders.safenames",
        "builders.settings",
    },
    "builders.flux": {
        "builders.cdc",
        "builders.exports",
        "builders.errors",
        "builders.files",
        "builders.safenames",
        "builders.settings",
    },
}


#: The agent modules that may import agent.cli: the top layer (the CLI itself and
#: ``python -m agent``); the rest of agent/ is below it.
CLI_IMPORTERS = {"agent.cli", "agent.__main__"}
#: The only sub-packages of agent that may import click (the command line).
CLICK_USERS = {"agent.cli"}


def _modules(package: str = PACKAGE) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module name an ``import`` statement of ``path`` names (``from p import m``: p
    and p.m)."""
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets.add(node.module)
            targets.update(f"{node.module}.{alias.name}" for alias in node.names)
    return targets


def import_graph(package: str = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from p import m`` counts m if a module)."""
    modules = _modules(package)
    return {
        name: {t for t in _imports(path) if t in modules and t != name}
        for name, path in modules.items()
    }


def cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
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
            visit(node)
    return sorted(found)


def _package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_cycle_finder_finds_a_cycle() -> None:
    """The check itself: a two-module and a three-module cycle are reported, a chain is not."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert cycles(graph) == [["a", "b"], ["c", "d", "e"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_graph_sees_imports_inside_functions() -> None:
    """A function-level import counts (the old importer <-> rows cycle hid in one)."""
    graph = import_graph()
    assert "builders.exports.rows" in graph["builders.exports.importer"]
    assert "builders.flux.splitter" in graph["builders.flux.validate"]  # TYPE_CHECKING only


def test_builders_has_no_import_cycle() -> None:
    """No set of builders modules imports each other in a circle."""
    assert cycles(import_graph()) == []


def test_sub_packages_import_downwards_only() -> None:
    """cdc imports no exports/flux module, exports no flux module."""
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if _package_of(module) in ALLOWED
        for target in sorted(targets)
        if _package_of(target) != _package_of(module)
        and _package_of(target) not in ALLOWED[_package_of(module)]
        and target not in ALLOWED[_package_of(module)]
        and target != PACKAGE
    ]
    assert wrong == []


def test_only_the_cli_renders() -> None:
    """No agent module outside agent.cli imports agent.cli (the CLI only parses and renders,
    the work is below it), and only agent.cli imports click."""
    wrong = []
    for module, path in _modules("agent").items():
        package = _package_of(module)
        imports = _imports(path)
        if package not in CLI_IMPORTERS:
            wrong += [
                f"{module} imports {t}" for t in sorted(imports) if _package_of(t) == "agent.cli"
            ]
        if package not in CLICK_USERS:
            wrong += [f"{module} imports click" for t in imports if t.split(".")[0] == "click"]
    assert wrong == []


def test_the_cli_package_has_no_import_cycle() -> None:
    """The command modules import the shared ones (app, options, output), never each other
    in a circle."""
    graph = import_graph("agent")
    cli_graph = {m: {t for t in ts if t.startswith("agent.cli")} for m, ts in graph.items()}
    assert cycles({m: ts for m, ts in cli_graph.items() if m.startswith("agent.cli")}) == []
    assert "agent.cli.output" in graph["agent.cli.service"]
