"""Generate the hook reference (``docs/hooks.md``) from the specs in ``patron.hooks``.

The specs are read from the module's source with ``ast``, not imported, so the
text shows the annotations exactly as written (they are strings at run time) and
the grouping follows the banner comments of the module::

    python -m patron.docgen docs/hooks.md     # write the file
    python -m patron.docgen --check docs/hooks.md   # exit 1 when it is stale

The same parsing backs the documentation tests: every spec must have a
docstring with a ``:param`` line for each of its arguments.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BANNER = re.compile(r"^# -{10,}\n# (?P<title>[^\n]+)\n# -{10,}$", re.MULTILINE)
FIELD = re.compile(r"^:(?P<kind>param|return|returns)(?: (?P<name>\w+))?:\s*(?P<text>.*)$")


@dataclass(frozen=True)
class HookSpec:
    """One hook spec as written in ``patron.hooks``."""

    name: str
    section: str
    arguments: tuple[str, ...]
    signature: str
    docstring: str
    options: tuple[str, ...]

    def documented_params(self) -> set[str]:
        """The argument names that have a ``:param NAME:`` line in the docstring."""
        return {
            m.group("name")
            for line in self.docstring.splitlines()
            if (m := FIELD.match(line.strip())) and m.group("kind") == "param" and m.group("name")
        }


def hooks_source() -> str:
    """The source text of ``patron.hooks`` (found without importing it)."""
    return (Path(__file__).parent / "hooks.py").read_text(encoding="utf-8")


def read_specs(source: str | None = None) -> tuple[str, list[HookSpec]]:
    """Return the module docstring and every spec, in source order, with its section title."""
    source = hooks_source() if source is None else source
    tree = ast.parse(source)
    banners = [(source.count("\n", 0, m.start()) + 1, m.group("title")) for m in BANNER.finditer(source)]
    specs: list[HookSpec] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        options = _spec_options(node)
        if options is None:
            continue
        section = next((title for line, title in reversed(banners) if line < node.lineno), "Hooks")
        args = tuple(a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs))
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        specs.append(
            HookSpec(
                name=node.name,
                section=section,
                arguments=args,
                signature=f"def {node.name}({ast.unparse(node.args)}){returns}",
                docstring=inspect.cleandoc(ast.get_docstring(node, clean=False) or ""),
                options=options,
            )
        )
    return inspect.cleandoc(ast.get_docstring(tree) or ""), specs


def _spec_options(node: ast.FunctionDef) -> tuple[str, ...] | None:
    # A spec is decorated with ``@hookspec`` or ``@hookspec(firstresult=True, ...)``.
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "hookspec":
            return ()
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name) and decorator.func.id == "hookspec":
            return tuple(ast.unparse(k) for k in decorator.keywords)
    return None


def render(source: str | None = None) -> str:
    """The Markdown text of the hook reference."""
    intro, specs = read_specs(source)
    out = [
        "# Hook reference",
        "",
        "<!-- Generated from core/patron/hooks.py by `python -m patron.docgen docs/hooks.md`"
        " (make docs). Do not edit. -->",
        "",
        intro,
        "",
        "Implement a hook in your plugin module with the same name, accepting any subset of its arguments:",
        "",
        "```python",
        "from patron import hookimpl",
        "",
        "@hookimpl",
        "def patron_reports(register):",
        "    register(MyReport())",
        "```",
        "",
        "What a hook implementation may import from the core is the [public API](public-api.md):",
        "`patron.contracts`, `patron.sql`, `patron.cli_options`, `patron.models`, `patron.ingest`, … and nothing else.",
        "",
        "## Contents",
        "",
    ]
    sections: dict[str, list[HookSpec]] = {}
    for spec in specs:
        sections.setdefault(spec.section, []).append(spec)
    for section, members in sections.items():
        out.append(f"- {section}: " + ", ".join(f"[`{s.name}`](#{s.name})" for s in members))
    for section, members in sections.items():
        out += ["", f"## {section}"]
        for spec in members:
            out += ["", f"### `{spec.name}`", "", "```python", spec.signature, "```", ""]
            if spec.options:
                out += [f"Options: `{', '.join(spec.options)}`", ""]
            out.append(_docstring_markdown(spec.docstring))
    return "\n".join(out).rstrip() + "\n"


def _docstring_markdown(docstring: str) -> str:
    # Prose stays as written; ":param x:" / ":return:" fields become a list.
    prose: list[str] = []
    fields: list[str] = []
    for line in docstring.splitlines():
        match = FIELD.match(line.strip())
        if match:
            label = f"`{match.group('name')}`" if match.group("kind") == "param" else "**Returns**"
            fields.append(f"- {label}: {match.group('text')}")
        elif fields and line.startswith(" ") and line.strip():
            fields[-1] += " " + line.strip()
        elif fields and not line.strip():
            continue
        else:
            prose.append(line)
    return "\n".join(prose).strip() + ("\n\n" + "\n".join(fields) if fields else "")


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the hook reference; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m patron.docgen", description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the Markdown file, e.g. docs/hooks.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from the specs")
    options = parser.parse_args(argv)
    text = render()
    if options.check:
        current = options.output.read_text(encoding="utf-8") if options.output.exists() else ""
        if current != text:
            print(f"{options.output} is stale: run 'make docs' and commit it", file=sys.stderr)
            return 1
        return 0
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print(f"Wrote {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
