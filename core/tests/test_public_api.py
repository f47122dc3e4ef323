"""Plugins import only the documented public surface (``patron.public_api``) and never one another.

Checked: every shipped plugin under ``plugins/`` (package and tests), the probe
test plugin, and what ``patron plugin new`` generates for each vertical. Every
import counts here, ``TYPE_CHECKING`` ones included: a type a plugin names is
part of what it depends on. Plugin tests may also import ``patron_sdk``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from patron.public_api import ALL, PUBLIC_API, is_public

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
PROBE = ROOT / "tests" / "plugins" / "probe"
DOC = ROOT / "docs" / "public-api.md"


def _package_of(plugin_dir: Path) -> str:
    return next(
        p.name for p in plugin_dir.iterdir() if p.is_dir() and p.name.startswith("patron_") and "." not in p.name
    )


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def violations(root: Path) -> Iterator[str]:
    """``file:line: what`` for each import under ``root`` outside the public surface."""
    own = _package_of(root)
    for path in sorted(root.rglob("*.py")):
        if ".egg-info" in str(path) or "build" in path.relative_to(root).parts:
            continue
        in_tests = "tests" in path.relative_to(root).parts
        where = path.relative_to(root.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                pairs = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                pairs = []
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    # `from patron import hooks` imports a module, not a name.
                    pairs.append(
                        (sub, None) if node.module == "patron" and _is_module(sub) else (node.module, alias.name)
                    )
            else:
                continue
            for module, name in pairs:
                top = module.split(".")[0]
                if top == "patron":
                    if not is_public(module, name):
                        what = f"{module}.{name}" if name else module
                        yield f"{where}:{node.lineno}: {what} is not in patron.public_api"
                elif top.startswith("patron_") and top != own and not (in_tests and top == "patron_sdk"):
                    yield f"{where}:{node.lineno}: imports {top}: plugins never import one another"


@pytest.mark.parametrize("plugin", [*PLUGINS, PROBE], ids=lambda p: p.name)
def test_a_plugin_imports_only_the_public_surface(plugin: Path) -> None:
    found = list(violations(plugin))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("vertical", ["generic", "retail", "banking", "manufacturing"])
def test_the_scaffold_output_imports_only_the_public_surface(vertical: str, tmp_path: Path) -> None:
    from patron_sdk.scaffold import render_plugin

    target = render_plugin("public_check", tmp_path, vertical=vertical)
    found = list(violations(target))
    assert not found, "\n".join(found)


def test_the_checker_catches_an_internal_import_and_a_plugin_importing_another(tmp_path: Path) -> None:
    package = tmp_path / "patron_bad"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from patron import hookimpl\n"
        "from patron.db import make_engine\n"
        "from patron.models import Customer, NAMING_CONVENTION\n"
        "import patron.registry\n"
        "from patron_loyalty import ledger\n"
    )
    found = [line.split(": ", 1)[1] for line in violations(tmp_path)]
    assert found == [
        "patron.db.make_engine is not in patron.public_api",
        "patron.models.NAMING_CONVENTION is not in patron.public_api",
        "patron.registry is not in patron.public_api",
        "imports patron_loyalty: plugins never import one another",
    ]


def test_every_listed_name_exists_and_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for module, names in PUBLIC_API.items():
        assert f"`{module}`" in doc, f"docs/public-api.md does not document {module}"
        if not _is_module(module):
            continue  # declared in the contract, built on another branch (patron.money, patron.kinds, patron.links)
        loaded = importlib.import_module(module)
        if names is ALL:
            continue
        for name in names:
            assert hasattr(loaded, name), f"patron.public_api lists {module}.{name}, which does not exist"
            assert re.search(rf"`{re.escape(name)}[`(]", doc), f"docs/public-api.md does not document {module}.{name}"


def test_the_examples_in_the_doc_compile_and_import_only_public_names(tmp_path: Path) -> None:
    doc = DOC.read_text(encoding="utf-8")
    examples = re.findall(r"^```python file=\S+\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    assert examples
    package = tmp_path / "patron_docs_example"
    package.mkdir()
    for i, source in enumerate(examples):
        compile(source, f"docs/public-api.md example {i}", "exec")
        (package / f"example_{i}.py").write_text(source, encoding="utf-8")
    assert list(violations(tmp_path)) == []
