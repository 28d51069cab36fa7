"""The layout's rules, checked on the source: no import cycle anywhere, and each layer imports
only downwards (`forms` <- `sms_flows` <- `sync` <- `app`).

Every import counts, also the ones inside functions (a lazy import is still a dependency).
`from pkg import name` counts as an import of `pkg.name` when that is a module, else of `pkg`.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "forms", "sms_flows", "sync")
DATABASE_OR_WEB = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "alembic", "rq",
                   "redis", "psycopg")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, at any depth."""
    modules = _modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in modules else base), node.lineno


@cache
def _graph() -> dict[str, dict[str, int]]:
    """Our module -> {our module it imports: line}."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in _imports(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def _external(name: str) -> Iterator[tuple[str, int]]:
    """Every import of a module (ours or not) in one file, as written."""
    yield from _imports(name, _modules()[name])


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _violations(layer: str, forbidden: tuple[str, ...],
                allowed: tuple[str, ...] = ()) -> list[str]:
    """`file:line imports X` for every import from `layer` of a forbidden module."""
    out = []
    for name in sorted(_modules()):
        if not (name == layer or name.startswith(layer + ".")):
            continue
        for target, line in _external(name):
            if any(target == a or target.startswith(a + ".") for a in allowed):
                continue
            if any(target == f or target.startswith(f + ".") for f in forbidden):
                out.append(f"{_modules()[name].relative_to(ROOT)}:{line} imports {target}")
    return out


def test_the_walker_sees_lazy_imports_and_relative_ones():
    graph = _graph()
    assert "app.models.base" in graph["app.models.forms"]
    assert "app.extensions" in graph["app"]  # a top-level import of the package's factory
    assert "app.web" in graph["app"]  # imported inside create_app


def test_no_module_imports_itself_back_through_others():
    cycles = _cycles()
    assert not cycles, "import cycles (move the shared part down into its own module):\n" + \
        "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("layer", ["forms", "sms_flows"])
def test_the_pure_domain_imports_no_web_framework_no_database_and_no_app(layer):
    assert _violations(layer, (*DATABASE_OR_WEB, "app", "sync")) == []


def test_forms_does_not_import_the_layers_above_it():
    assert _violations("forms", ("sms_flows",)) == []


def test_sync_imports_nothing_of_the_web_layer_or_the_subsystems_above_it():
    # sync may use the models, the database helpers and file storage; the pipeline hears of
    # committed work through sync.ingest's listeners, not through an import.
    assert _violations("sync", ("app",), allowed=(
        "app.extensions", "app.config", "app.models", "app.sql", "app.queries",
        "app.services.storage")) == []


def test_the_models_import_nothing_above_them():
    assert _violations("app.models", ("app", "sync", "sms_flows"),
                       allowed=("app.extensions", "app.models")) == []


def test_nothing_imports_a_module_by_a_name_in_a_string():
    """importlib hides a dependency from readers and from this test; the one exception is the
    SMS engine a deployment names in SMS_ENGINE (a plug-in, chosen by configuration)."""
    out = []
    for name, path in sorted(_modules().items()):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr == "import_module"
                    and name != "app.messaging.engine"):
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert out == []
