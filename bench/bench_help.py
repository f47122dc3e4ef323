"""Benchmarks: the light commands, each a whole process, with every shipped plugin enabled.

- ``help``: ``patron --help`` against ``python -c "import click"`` (target 2.0);
- ``report-list``: ``patron report list`` against ``import click`` (target 3.0);
- ``customers-show``: ``patron customers show ID`` against ``patron --help`` (target 3.0).

The shipped plugins are the workspace members under ``plugins/*`` (globbed,
never listed by hand); those installed here are enabled. Every run's output is
checked (the usage text, every report listed, the customer shown), so a
command that fails fast cannot win.

    python bench/bench_help.py [help|report-list|customers-show] [--rounds N]
"""

from __future__ import annotations

import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, main, patron_command, pick, python_env

ROOT = Path(__file__).resolve().parents[1]
CLICK = [sys.executable, "-c", "import click"]


def shipped_plugins() -> list[str]:
    """Entry-point names declared by the distributions under plugins/*, installed here."""
    from importlib.metadata import entry_points

    installed = {ep.name for ep in entry_points(group="patron")}
    names: list[str] = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        declared = project.get("entry-points", {}).get("patron", {})
        names += [name for name in declared if name in installed]
    return names


def _workspace(folder: Path, plugins: list[str]) -> dict[str, str]:
    """A config enabling ``plugins`` on a SQLite database in ``folder``; the env that uses it."""
    config = folder / "patron.toml"
    listed = ", ".join(f'"{p}"' for p in plugins)
    config.write_text(f'[patron]\ndatabase_url = "sqlite:///{folder / "patron.db"}"\nplugins = [{listed}]\n')
    return python_env(PATRON_CONFIG=str(config))


def _expect(text: str) -> Callable[[Any], bool]:
    def check(stdout: Any) -> bool:
        return text in str(stdout)

    return check


def _click_ok(stdout: Any) -> bool:
    return bool(stdout == "")


@benchmark("help", target=2.0, warmup=True, doc="patron --help / python -c 'import click'")
def help_vs_click(options: Options) -> Pairs:
    plugins = shipped_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        env = _workspace(Path(tmp), plugins)
        yield Pair(
            Arm.process("patron --help", [*patron_command(), "--help"], env=env, cwd=tmp, result=_expect("Usage:")),
            Arm.process("import click", CLICK, env=env, cwd=tmp, result=_click_ok),
            note=f"plugins: {', '.join(plugins) or 'none'}",
        )


@benchmark("report-list", target=3.0, warmup=True, doc="patron report list / python -c 'import click'")
def report_list_vs_click(options: Options) -> Pairs:
    plugins = shipped_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        env = _workspace(Path(tmp), plugins)
        yield Pair(
            Arm.process(
                "patron report list",
                [*patron_command(), "report", "list"],
                env=env,
                cwd=tmp,
                result=_expect("overview"),
            ),
            Arm.process("import click", CLICK, env=env, cwd=tmp, result=_click_ok),
            note=f"plugins: {', '.join(plugins) or 'none'}",
        )


@benchmark("customers-show", target=3.0, warmup=True, doc="patron customers show ID / patron --help")
def customers_show_vs_help(options: Options) -> Pairs:
    import subprocess

    plugins = shipped_plugins()
    customers = pick(options, 10, 1000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = _workspace(folder, plugins)
        csv = folder / "customers.csv"
        csv.write_text(
            "external_id,name,email\n" + "".join(f"c{i},Customer {i},c{i}@example.com\n" for i in range(customers))
        )
        for args in (["db", "upgrade"], ["import", "customers", str(csv)]):
            subprocess.run([*patron_command(), *args], env=env, cwd=tmp, check=True, capture_output=True)
        who = f"c{customers // 2}"
        yield Pair(
            Arm.process(
                "patron customers show",
                [*patron_command(), "customers", "show", who],
                env=env,
                cwd=tmp,
                result=_expect(f"Customer {customers // 2}"),
            ),
            Arm.process("patron --help", [*patron_command(), "--help"], env=env, cwd=tmp, result=_expect("Usage:")),
            note=f"{customers:,} customers; plugins: {', '.join(plugins) or 'none'}",
        )


if __name__ == "__main__":
    raise SystemExit(main())
