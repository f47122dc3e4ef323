"""The benchmark harness: two arms, interleaved round by round, measured alike, checked equal.

A benchmark compares an *arm* (what Patron does) with a *baseline* (the
least any correct program must do for the same job) and reports the ratio of
their medians against a target. Everything that makes such a ratio honest is
done here, once, so a benchmark script only says what the arms are:

- the arms run interleaved, round by round (A, B, A, B, …), at least three
  rounds, so load from other work on the machine hits both alike;
- both arms are whole processes (``Arm.process``: a command line, for what a
  user pays as a whole process, start-up included) or both run a function in a
  forked child of this process (``Arm.forked``: imports already paid, the
  function alone is measured); a benchmark never mixes the two;
- each run's CPU time (user + system, the child's own rusage including its
  waited-for children) and wall time are recorded, with min/median/max, and
  the peak RSS of the process (on Linux a child's peak starts at this
  process's RSS when it forks, so a benchmark that compares memory keeps its
  own data small: stream files, hold no rows); with ``server`` set (a PostgreSQL server on
  this machine) the server's CPU spent during the run is added, so a
  database-bound arm is not flattered by work done in another process;
- every run's *result* (what the arm computed: counts, scores, a digest) must
  equal every other run's, across both arms, before any ratio is printed;
- each comparison prints a human line and one JSON line, also appended to the
  file named by ``$BENCH_RESULTS`` (``bench/run.py`` collects them into one table).

A benchmark script registers comparisons with the ``benchmark`` decorator: a
generator that sets up (untimed), yields a ``Pair`` and cleans up afterwards::

    @benchmark("help", target=2.0, doc="patron --help / import click")
    def help_vs_click(size: Size) -> Generator[Pair, None, None]:
        yield Pair(Arm.process("patron --help", [...]), Arm.process("import click", [...]))

    if __name__ == "__main__":
        raise SystemExit(main())
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Metric = Literal["cpu", "wall", "rss"]
Size = Literal["smoke", "quick", "full"]

#: Default rounds; fewer than three is refused (a median of two is a mean).
ROUNDS = 3
MIN_ROUNDS = 3


# ---------------------------------------------------------------------------
# Arms
# ---------------------------------------------------------------------------


@dataclass
class Arm:
    """One side of a comparison.

    :param label: how tables name it, e.g. ``patron import`` or ``sqlite3.executemany``.
    :param command: for a process arm, the command line (run with ``env`` and ``cwd``).
    :param function: for a forked arm, called in a forked child; its return value
        is the run's result unless ``result`` is given.
    :param setup: called in this process before every run, untimed (a fresh database, …).
    :param result: called in this process after every run, untimed, with the run's
        raw output (a process arm's stdout, a forked arm's return value); returns
        what the run computed, compared across every run of both arms (default:
        the raw output itself). Arms with nothing in common return a verdict
        such as ``True`` for "the output is right".
    """

    label: str
    command: Sequence[str] | None = None
    function: Callable[[], Any] | None = None
    setup: Callable[[], None] | None = None
    result: Callable[[Any], Any] | None = None
    env: Mapping[str, str] | None = None
    cwd: str | Path | None = None

    @classmethod
    def process(
        cls,
        label: str,
        command: Sequence[str],
        *,
        setup: Callable[[], None] | None = None,
        result: Callable[[Any], Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> Arm:
        """An arm that runs ``command`` as a whole process."""
        return cls(label, command=list(command), setup=setup, result=result, env=env, cwd=cwd)

    @classmethod
    def forked(
        cls,
        label: str,
        function: Callable[[], Any],
        *,
        setup: Callable[[], None] | None = None,
        result: Callable[[Any], Any] | None = None,
    ) -> Arm:
        """An arm that calls ``function`` in a forked child (open no connection before the fork)."""
        return cls(label, function=function, setup=setup, result=result)

    @property
    def kind(self) -> str:
        return "process" if self.command is not None else "forked"


@dataclass
class Pair:
    """What a benchmark yields: the arm measured, its baseline, and optionally a PostgreSQL server."""

    arm: Arm
    baseline: Arm
    #: pid of a PostgreSQL postmaster on this machine whose CPU counts towards each run (see ``postmaster_pid``).
    server: int | None = None
    #: free text printed with the result (sizes, plugins enabled, …).
    note: str = ""


#: What a benchmark function returns: a generator that sets up, yields one Pair, then cleans up.
Pairs = Generator["Pair", None, None]
PairMaker = Callable[["Options"], Pairs]

# ---------------------------------------------------------------------------
# Measuring one run
# ---------------------------------------------------------------------------


@dataclass
class Run:
    """One measured run of one arm."""

    round: int
    arm: str
    cpu: float
    wall: float
    rss_kib: int
    result: Any


class ArmFailed(RuntimeError):
    """An arm exited non-zero or raised; the message says which and shows its output."""


def _stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        # It exited between listing and reading: its time is now in its parent's cutime.
        return None


def _children(pid: int) -> list[str]:
    listing = Path(f"/proc/{pid}/task/{pid}/children")
    if listing.exists():
        return listing.read_text().split()
    # Kernels without CONFIG_PROC_CHILDREN: scan for processes whose parent is pid.
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and (_stat(p.name) or ["", "0"])[1] == str(pid)]


def server_cpu(postmaster: int) -> float:
    """CPU seconds used so far by a PostgreSQL server: postmaster, its live processes and reaped backends."""
    ticks = 0
    own = _stat(postmaster)
    if own is not None:
        ticks += sum(int(v) for v in own[11:15])  # utime, stime, cutime, cstime (reaped backends)
    for pid in _children(postmaster):
        fields = _stat(pid)
        if fields is not None:  # a live (or not yet reaped) backend or auxiliary process
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database ``<prefix>_<random>`` on the server at ``server_url``; yields its URL, then drops it."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from patron.db import normalize_url

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"

    def admin(statement: str) -> None:
        engine = create_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(statement))
        engine.dispose()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(normalize_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postmaster_pid(url: str) -> int | None:
    """The pid of the postmaster behind ``url`` when it runs on this machine, else None."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    # Read the backend's parent while the connection is open: once it closes, the backend exits.
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        if row is None:
            return None
        try:
            text = Path(f"/proc/{row[0]}/status").read_text()
        except FileNotFoundError:
            return None  # a server on another machine: its CPU cannot be seen from here
    for line in text.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


def _run_process(arm: Arm) -> tuple[float, float, int, Any]:
    assert arm.command is not None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(arm.command),
            stdout=out,
            stderr=err,
            env=dict(arm.env) if arm.env is not None else None,
            cwd=arm.cwd,
        )
        # wait4, not Popen.wait: it returns this child's own rusage (CPU and peak RSS).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise ArmFailed(f"{arm.label}: {' '.join(arm.command)} exited {proc.returncode}\n{stderr[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, stdout


def _run_forked(arm: Arm) -> tuple[float, float, int, Any]:
    assert arm.function is not None
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: run, send the pickled result (or the error), exit without cleanup
        os.close(read_fd)
        code = 0
        try:
            payload = pickle.dumps(("ok", arm.function()))
        except BaseException:
            # Anything the arm raised goes back to the parent as text, which raises ArmFailed.
            payload = pickle.dumps(("error", traceback.format_exc()))
            code = 1
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, _status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    outcome, value = pickle.loads(data) if data else ("error", "the child died without a result")
    if outcome != "ok":
        raise ArmFailed(f"{arm.label} raised:\n{value}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, value


def measure(arm: Arm, round_: int, server: int | None = None) -> Run:
    """Set up (untimed), run once, read the result (untimed)."""
    if arm.setup is not None:
        arm.setup()
    before = server_cpu(server) if server is not None else 0.0
    cpu, wall, rss, value = _run_process(arm) if arm.command is not None else _run_forked(arm)
    if server is not None:
        time.sleep(0.05)  # let the postmaster reap the run's backend, so its CPU is in cutime
        cpu += server_cpu(server) - before
    if arm.result is not None:
        value = arm.result(value)
    return Run(round_, arm.label, cpu, wall, rss, value)


# ---------------------------------------------------------------------------
# A comparison
# ---------------------------------------------------------------------------


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


@dataclass
class Outcome:
    """What one comparison measured, and its verdict."""

    name: str
    target: float
    metric: Metric
    arm: str
    baseline: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    error: str | None = None

    def of(self, label: str) -> list[Run]:
        return [r for r in self.runs if r.arm == label]

    @property
    def order(self) -> list[tuple[int, str]]:
        """``(round, arm)`` in the order the runs happened."""
        return [(r.round, r.arm) for r in self.runs]

    def median(self, label: str, metric: Metric) -> float:
        return statistics.median(_value(r, metric) for r in self.of(label))

    @property
    def ratio(self) -> float | None:
        """median(arm) / median(baseline) in ``metric``; None when the runs failed or disagree."""
        if self.error is not None or not self.runs:
            return None
        base = self.median(self.baseline, self.metric)
        return self.median(self.arm, self.metric) / base if base else None

    @property
    def ok(self) -> bool:
        return self.ratio is not None and self.ratio <= self.target

    def as_json(self) -> dict[str, Any]:
        arms = {}
        for label in (self.arm, self.baseline):
            runs = self.of(label)
            if runs:
                arms[label] = {
                    "cpu_s": _spread([r.cpu for r in runs]),
                    "wall_s": _spread([r.wall for r in runs]),
                    "peak_rss_kib": max(r.rss_kib for r in runs),
                }
        return {
            "bench": self.name,
            "metric": self.metric,
            "ratio": self.ratio,
            "target": self.target,
            "ok": self.ok,
            "rounds": len(self.of(self.arm)),
            "arm": self.arm,
            "baseline": self.baseline,
            "arms": arms,
            "note": self.note,
            "error": self.error,
        }


def _value(run: Run, metric: Metric) -> float:
    return {"cpu": run.cpu, "wall": run.wall, "rss": float(run.rss_kib)}[metric]


def compare(
    name: str,
    pair: Pair,
    *,
    target: float,
    metric: Metric = "cpu",
    rounds: int = ROUNDS,
    warmup: bool = False,
    same_result: bool = True,
) -> Outcome:
    """Run ``pair`` interleaved for ``rounds`` rounds and return the outcome.

    ``warmup`` runs each arm once, unmeasured, first (file and bytecode caches).
    With ``same_result`` (the default) every run's result must be equal; a
    difference sets ``error`` and no ratio is given.
    """
    if rounds < MIN_ROUNDS:
        raise ValueError(f"{name}: {rounds} rounds; a ratio needs at least {MIN_ROUNDS}")
    arm, base = pair.arm, pair.baseline
    if arm.kind != base.kind:
        raise ValueError(f"{name}: arms {arm.label!r} ({arm.kind}) and {base.label!r} ({base.kind}) are measured alike")
    if arm.label == base.label:
        raise ValueError(f"{name}: both arms are labelled {arm.label!r}")
    outcome = Outcome(name, target, metric, arm.label, base.label, note=pair.note)
    try:
        if warmup:
            measure(arm, -1, None)
            measure(base, -1, None)
        for round_ in range(rounds):
            for side in (arm, base):
                outcome.runs.append(measure(side, round_, pair.server))
    except ArmFailed as exc:
        outcome.error = str(exc)
        return outcome
    except Exception as exc:
        # A setup or result function failed: no ratio, and the cause goes in the report.
        traceback.print_exc()
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    if same_result:
        first = outcome.runs[0]
        for run in outcome.runs[1:]:
            if run.result != first.result:
                outcome.error = (
                    f"results differ: {first.arm} (round {first.round}) gave {_short(first.result)}, "
                    f"{run.arm} (round {run.round}) gave {_short(run.result)}"
                )
                break
    return outcome


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def describe(outcome: Outcome) -> str:
    """Human-readable lines for one outcome."""
    lines = [f"[{outcome.name}] {outcome.note}".rstrip()]
    for label in (outcome.arm, outcome.baseline):
        runs = outcome.of(label)
        if not runs:
            continue
        cpu, wall = _spread([r.cpu for r in runs]), _spread([r.wall for r in runs])
        lines.append(
            f"  {label:<34} cpu {cpu['median']:8.3f} s [{cpu['min']:.3f}–{cpu['max']:.3f}]  "
            f"wall {wall['median']:8.3f} s [{wall['min']:.3f}–{wall['max']:.3f}]  "
            f"peak RSS {max(r.rss_kib for r in runs) / 1024:7.1f} MiB  ({len(runs)} runs)"
        )
    if outcome.error is not None:
        lines.append(f"  NO RATIO: {outcome.error}")
    else:
        verdict = "ok" if outcome.ok else "ABOVE TARGET"
        lines.append(f"  ratio ({outcome.metric}, medians): {outcome.ratio:.2f}  target <= {outcome.target}  {verdict}")
    return "\n".join(lines)


def report(outcome: Outcome) -> None:
    """Print ``outcome`` for people and as one JSON line; append the JSON to ``$BENCH_RESULTS``."""
    print(describe(outcome), flush=True)
    line = json.dumps(outcome.as_json(), sort_keys=True)
    print(line, flush=True)
    results = os.environ.get("BENCH_RESULTS")
    if results:
        with open(results, "a", encoding="utf-8") as f:
            f.write(line + "\n")


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


@dataclass
class Options:
    """What a benchmark's setup may read: the size and, when given, a PostgreSQL server URL."""

    size: Size = "quick"
    postgres: str | None = None
    rounds: int = ROUNDS


@dataclass
class Benchmark:
    """A registered comparison: a generator of one ``Pair`` and how to judge it."""

    name: str
    make: PairMaker
    target: float
    metric: Metric = "cpu"
    doc: str = ""
    warmup: bool = False
    same_result: bool = True
    needs_postgres: bool = False

    def run(self, options: Options) -> Outcome:
        pairs = self.make(options)
        try:
            try:
                pair = next(pairs)
            except Exception as exc:
                # Preparing the data failed: report it as this benchmark's result, go on with the others.
                traceback.print_exc()
                return Outcome(
                    self.name, self.target, self.metric, "?", "?", error=f"setup: {type(exc).__name__}: {exc}"
                )
            return compare(
                self.name,
                pair,
                target=self.target,
                metric=self.metric,
                rounds=options.rounds,
                warmup=self.warmup,
                same_result=self.same_result,
            )
        finally:
            pairs.close()  # runs the generator's cleanup (temporary folders, databases)


#: Every benchmark registered by the modules imported so far, by name.
REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    name: str,
    *,
    target: float,
    metric: Metric = "cpu",
    doc: str = "",
    warmup: bool = False,
    same_result: bool = True,
    needs_postgres: bool = False,
) -> Callable[[PairMaker], PairMaker]:
    """Register a generator ``make(options) -> Pairs`` as benchmark ``name``."""

    def register(
        make: PairMaker,
    ) -> PairMaker:
        known = REGISTRY.get(name)
        if known is not None and (known.make.__module__, known.make.__qualname__) != (
            make.__module__,
            make.__qualname__,
        ):
            raise ValueError(
                f"benchmark {name!r} is registered twice: by {known.make.__module__} and {make.__module__}"
            )
        REGISTRY[name] = Benchmark(name, make, target, metric, doc, warmup, same_result, needs_postgres)
        return make

    return register


def parse_options(argv: Sequence[str] | None, description: str = "") -> tuple[Options, list[str]]:
    """The common command line of a benchmark script (and of bench/run.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all in this script)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_const", const="smoke", dest="size", help="tiny sizes (seconds)")
    size.add_argument("--full", action="store_const", const="full", dest="size", help="the issue's sizes (long)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"interleaved rounds (default {ROUNDS})")
    parser.add_argument(
        "--postgres", metavar="URL", default=os.environ.get("BENCH_POSTGRES_URL"), help="a PostgreSQL server URL"
    )
    args = parser.parse_args(argv)
    return Options(args.size or "quick", args.postgres, args.rounds), list(args.names)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks registered so far (a script's own), or those named; exit 1 when one failed."""
    options, names = parse_options(argv, __doc__.splitlines()[0] if __doc__ else "")
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    failed = 0
    for bench in [REGISTRY[n] for n in names] if names else list(REGISTRY.values()):
        if bench.needs_postgres and not options.postgres:
            print(f"[{bench.name}] skipped: needs --postgres URL (bench/run.py starts a server)", flush=True)
            continue
        outcome = bench.run(options)
        report(outcome)
        failed += not outcome.ok
    return 1 if failed else 0


def pick(options: Options, smoke: int, quick: int, full: int) -> int:
    """A size for ``options.size``."""
    return {"smoke": smoke, "quick": quick, "full": full}[options.size]


def python_env(**extra: str) -> dict[str, str]:
    """This environment without PATRON_* and with bytecode caches allowed, plus ``extra``.

    A user's install has bytecode caches; without them every process arm would
    recompile patron's modules and measure the compiler.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATRON_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def patron_command() -> list[str]:
    """The ``patron`` console script next to this interpreter, else ``python -m patron.cli``."""
    script = Path(sys.executable).with_name("patron")
    return [str(script)] if script.exists() else [sys.executable, "-m", "patron.cli"]
