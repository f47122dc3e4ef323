"""The core imports downward only (contract → domain → host → cli) and has no import cycle.

Every ``import`` of every module under ``core/patron`` is read with ``ast``,
function-level imports included (they run, later); imports under
``if TYPE_CHECKING:`` are skipped (they never run). The layer of each module is
``patron.layers.MODULE_LAYERS``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from patron.layers import LAYERS, MODULE_LAYERS, layer_of, rank

CORE = Path(__file__).resolve().parents[1] / "patron"


def module_name(path: Path) -> str:
    parts = ["patron", *path.relative_to(CORE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for orelse in child.orelse:  # the else branch of `if TYPE_CHECKING` does run
                yield from _runtime_imports(orelse)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _runtime_imports(child)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str) -> dict[str, int]:
    """Core modules ``module`` imports at run time → the line of the first such import."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: dict[str, int] = {}
    for node in _runtime_imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            source = _resolve(module, path.name == "__init__.py", node)
            # `from patron.importer import rows` imports the module patron.importer.rows.
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        for target in targets:
            if (target == "patron" or target.startswith("patron.")) and target != module:
                while target not in MODULES:  # `import patron.reports.render.html` → that module
                    target = target.rsplit(".", 1)[0]
                found.setdefault(target, node.lineno)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_core_module_has_a_layer() -> None:
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, f"add these modules to patron.layers.MODULE_LAYERS: {missing}"
    assert set(MODULE_LAYERS.values()) <= set(LAYERS)


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = []
    for module, targets in GRAPH.items():
        mine = layer_of(module)
        assert mine is not None
        for target, line in targets.items():
            theirs = layer_of(target)
            assert theirs is not None, f"{module} imports {target}, which has no layer"
            if rank(theirs) > rank(mine):
                upward.append(
                    f"{MODULES[module].relative_to(CORE.parent)}:{line}: {module} ({mine}) imports {target} ({theirs})"
                )
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_core_modules() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "modules that import each other (directly or round a loop):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_the_cycle_finder_and_the_layer_check_catch_what_they_should() -> None:
    assert _cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert layer_of("patron.commands.report_cmd") == "cli"
    assert layer_of("patron.reports.render.html") == "domain"
    assert layer_of("patron.unknown_module") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from patron.app import App\n", {"patron.app"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from patron.app import App\n", set()),
        ("def f():\n    from patron.cli import get_state\n", {"patron.cli"}),
        ("from patron.importer import rows\n", {"patron.importer.rows"}),
    ],
)
def test_the_import_walker_counts_runtime_imports_only(source: str, expected: set[str], tmp_path: Path) -> None:
    path = CORE / "errors.py"  # any real module; only the parsed text matters
    tree = ast.parse(source)
    names: set[str] = set()
    for node in _runtime_imports(tree):
        if isinstance(node, ast.ImportFrom):
            src = _resolve("patron.errors", False, node)
            names |= {f"{src}.{a.name}" if f"{src}.{a.name}" in MODULES else src for a in node.names}
        else:
            names |= {a.name for a in node.names}
    assert {n for n in names if n.startswith("patron")} == expected
    assert path.is_file()
