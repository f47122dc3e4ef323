"""Benchmark: ``patron --help`` with every shipped plugin enabled, against ``python -c "import click"``.

Both commands run as fresh processes, interleaved, in the same run, so machine
load affects both alike; the result is the ratio of their medians. Target: 2.0
or less (the CLI must stay cheap because nothing heavy is imported until a
command needs it).

The shipped plugins are the workspace members under ``plugins/*`` (globbed,
never listed by hand); those installed in this environment are enabled through
``PATRON_LOAD_PLUGINS``.

    python bench/bench_help.py [--repeat N] [--target RATIO]

Exit code 1 when the ratio is above the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shipped_plugins() -> list[str]:
    """Entry-point names declared by the distributions under plugins/*, installed here."""
    from importlib.metadata import entry_points

    installed = {ep.name for ep in entry_points(group="patron")}
    names: list[str] = []
    for pyproject in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        declared = project.get("entry-points", {}).get("patron", {})
        missing = sorted(set(declared) - installed)
        if missing:
            print(
                f"note: {pyproject.parent.name} is not installed ({', '.join(missing)}); "
                f"pip install -e {pyproject.parent.relative_to(ROOT)}",
                file=sys.stderr,
            )
        names += [name for name in declared if name in installed]
    return names


def patron_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m patron.cli``."""
    script = Path(sys.executable).with_name("patron")
    return [str(script)] if script.exists() else [sys.executable, "-m", "patron.cli"]


def run_once(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="runs of each command (default 30)")
    parser.add_argument("--target", type=float, default=2.0, help="highest acceptable ratio (default 2.0)")
    options = parser.parse_args(argv)

    plugins = shipped_plugins()
    # A user's install has bytecode caches; without them every run would recompile
    # patron's modules and measure the compiler. So caches are allowed (and written
    # by the warm-up run) even when this shell sets PYTHONDONTWRITEBYTECODE.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATRON_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PATRON_LOAD_PLUGINS"] = ",".join(plugins)
    help_cmd = [*patron_command(), "--help"]
    base_cmd = [sys.executable, "-c", "import click"]

    with tempfile.TemporaryDirectory() as cwd:
        # Check once that the CLI really starts with these plugins (a warning means one failed to load).
        check = subprocess.run(help_cmd, env=env, cwd=cwd, capture_output=True, text=True)
        if check.returncode != 0 or "Warning:" in check.stderr:
            print(f"patron --help failed with plugins {plugins}:\n{check.stderr}", file=sys.stderr)
            return 2
        for cmd in (help_cmd, base_cmd):  # warm the file and bytecode caches for both
            run_once(cmd, env, cwd)
        help_times: list[float] = []
        base_times: list[float] = []
        for _ in range(options.repeat):
            help_times.append(run_once(help_cmd, env, cwd))
            base_times.append(run_once(base_cmd, env, cwd))

    help_median = statistics.median(help_times)
    base_median = statistics.median(base_times)
    ratio = help_median / base_median
    print(f"plugins enabled: {', '.join(plugins) or 'none'}")
    print(f"patron --help         median {help_median * 1000:7.1f} ms  ({options.repeat} runs)")
    print(f'python -c "import click" median {base_median * 1000:7.1f} ms  ({options.repeat} runs)')
    verdict = "ok" if ratio <= options.target else "ABOVE TARGET"
    print(f"bench_help ratio: {ratio:.2f} (target <= {options.target:.1f}) {verdict}")
    return 0 if ratio <= options.target else 1


if __name__ == "__main__":
    raise SystemExit(main())
