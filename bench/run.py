"""Run every benchmark and print one table of every ratio against its target (``make bench``).

    python bench/run.py                      # every bench/bench_*.py, quick sizes
    python bench/run.py help import          # bench_help.py and bench_import.py only
    python bench/run.py --full               # the issue's sizes (long)
    python bench/run.py --smoke              # tiny sizes: checks the benchmarks run, ratios mean little
    python bench/run.py --list               # the registered benchmarks, without running them

Scripts are discovered by globbing ``bench/bench_*.py``; each registers its
comparisons with ``harness.benchmark`` and runs in its own process (so one
script's imports cannot warm another's arms). Benchmarks that need PostgreSQL
get a server started by ``tools/pgserver.py`` in ``$BENCH_PG_DIR`` (default
``/tmp/patron-bench-pg``), stopped at the end, unless ``--postgres URL`` names
one. Each result is one JSON line in ``bench/results.jsonl`` (overwritten per
run); the closing table quotes them. Exit code 1 when a target is missed or a
benchmark failed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402  (bench/ is not a package: the scripts import the harness by path)


def scripts(names: list[str]) -> list[Path]:
    """``help``, ``bench_help`` or ``bench_help.py`` → the script; none → every bench_*.py."""
    found = sorted(BENCH.glob("bench_*.py"))
    if not names:
        return found
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".py")
        path = BENCH / f"{stem if stem.startswith('bench_') else 'bench_' + stem}.py"
        if path not in found:
            available = ", ".join(p.stem.removeprefix("bench_") for p in found)
            raise SystemExit(f"no benchmark script {name!r} in {BENCH}; available: {available}")
        chosen.append(path)
    return chosen


def load(script: Path) -> list[harness.Benchmark]:
    """Import ``script`` and return the benchmarks it registered."""
    before = set(harness.REGISTRY)
    spec = importlib.util.spec_from_file_location(script.stem, script)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return [harness.REGISTRY[n] for n in harness.REGISTRY if n not in before]


def needs_postgres(found: list[Path]) -> bool:
    return any(b.needs_postgres for script in found for b in load(script))


def start_postgres() -> tuple[str, list[str]]:
    args = ["--dir", os.environ.get("BENCH_PG_DIR", "/tmp/patron-bench-pg")]
    url = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "pgserver.py"), "start", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return url, args


def table(results: list[dict[str, Any]]) -> str:
    """The closing table: one row per comparison."""
    header = f"| {'benchmark':<24} | {'arm / baseline':<58} | metric | ratio | target | verdict |"
    rule = "|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|"
    rows = [header, rule]
    for r in results:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        verdict = "ok" if r["ok"] else ("NO RATIO" if r["ratio"] is None else "MISSED")
        pair = f"{r['arm']} / {r['baseline']}"
        rows.append(
            f"| {r['bench']:<24} | {pair:<58} | {r['metric']:<6} | {ratio:>5} | {r['target']:>6} | {verdict:<7} |"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if "--list" in argv:
        for script in scripts([a for a in argv if not a.startswith("-")]):
            for b in load(script):
                pg = " (PostgreSQL)" if b.needs_postgres else ""
                print(f"{script.name:<22} {b.name:<24} target {b.metric} <= {b.target}{pg}  {b.doc}")
        return 0
    options, names = harness.parse_options(argv, __doc__.splitlines()[0] if __doc__ else "")
    found = scripts(names)
    passed = ["--rounds", str(options.rounds)] + ([f"--{options.size}"] if options.size != "quick" else [])
    pg_args: list[str] | None = None
    if options.postgres is None and needs_postgres(found):
        options.postgres, pg_args = start_postgres()
    results_path = BENCH / "results.jsonl"
    results_path.write_text("")
    failed: list[str] = []
    try:
        for script in found:
            print(f"== {script.name}", flush=True)
            start = time.perf_counter()
            env = {**os.environ, "BENCH_RESULTS": str(results_path)}
            if options.postgres:
                env["BENCH_POSTGRES_URL"] = options.postgres
            code = subprocess.run([sys.executable, str(script), *passed], env=env, check=False).returncode
            print(f"== {script.name}: exit {code} in {time.perf_counter() - start:.0f} s\n", flush=True)
            if code:
                failed.append(script.name)
    finally:
        if pg_args is not None:
            subprocess.run([sys.executable, str(ROOT / "tools" / "pgserver.py"), "stop", *pg_args], check=False)
    results = [json.loads(line) for line in results_path.read_text().splitlines() if line.strip()]
    print(f"Every ratio: median of {options.rounds} interleaved rounds ({options.size} sizes)")
    print(table(results))
    if failed:
        print(f"scripts with a missed target or a failure: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
