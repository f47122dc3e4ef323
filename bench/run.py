"""Run the benchmarks: every ``bench/bench_*.py`` in turn, or those named on the command line.

    python bench/run.py                  # all of them
    python bench/run.py help rfm         # bench_help.py and bench_rfm.py
    python bench/run.py bench_help.py -- --repeat 50   # arguments after -- go to each script

Each script is a standalone program printing its ratio against a baseline
measured in the same run; this runner only sequences them and exits non-zero
when any of them did.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def resolve(name: str) -> Path:
    """``help``, ``bench_help`` or ``bench_help.py`` → the script's path."""
    stem = Path(name).name.removesuffix(".py")
    if not stem.startswith("bench_"):
        stem = f"bench_{stem}"
    path = BENCH / f"{stem}.py"
    if not path.is_file():
        available = ", ".join(p.stem.removeprefix("bench_") for p in sorted(BENCH.glob("bench_*.py")))
        raise SystemExit(f"no benchmark {name!r} in {BENCH}; available: {available}")
    return path


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    scripts = [resolve(n) for n in argv] if argv else sorted(BENCH.glob("bench_*.py"))
    failed: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(script), *extra], check=False).returncode
        print(f"== {script.name}: exit {code} in {time.perf_counter() - start:.1f} s\n", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"failed or above target: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
