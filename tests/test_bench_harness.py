"""The benchmark harness itself: interleaving, the equality check, the JSON line. Never a timing assertion."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_harness_under_test", BENCH / "harness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


harness = load_harness()


def test_arms_are_interleaved_round_by_round() -> None:
    pair = harness.Pair(harness.Arm.forked("a", lambda: 42), harness.Arm.forked("b", lambda: 6 * 7))
    outcome = harness.compare("interleave", pair, target=100.0, rounds=4)
    assert outcome.order == [(r, arm) for r in range(4) for arm in ("a", "b")]
    assert outcome.error is None
    assert outcome.ratio is not None


def test_setup_runs_before_every_run_in_the_parent() -> None:
    calls: list[str] = []
    pair = harness.Pair(
        harness.Arm.forked("a", lambda: 1, setup=lambda: calls.append("a")),
        harness.Arm.forked("b", lambda: 1, setup=lambda: calls.append("b")),
    )
    harness.compare("setup", pair, target=100.0, rounds=3)
    assert calls == ["a", "b"] * 3


def test_different_results_give_no_ratio() -> None:
    pair = harness.Pair(harness.Arm.forked("fast", lambda: 1), harness.Arm.forked("right", lambda: 2))
    outcome = harness.compare("differ", pair, target=100.0)
    assert outcome.ratio is None
    assert not outcome.ok
    assert "results differ" in (outcome.error or "")
    assert "NO RATIO" in harness.describe(outcome)


def test_a_result_that_changes_between_rounds_is_caught() -> None:
    counter = iter(range(100))
    pair = harness.Pair(
        harness.Arm.forked("a", lambda: 0, result=lambda _v: next(counter) // 2),
        harness.Arm.forked("b", lambda: 0, result=lambda _v: 0),
    )
    outcome = harness.compare("drift", pair, target=100.0)
    assert outcome.ratio is None and "a (round 2) gave 1" in (outcome.error or "")


def test_process_arms_measure_whole_processes_and_compare_stdout() -> None:
    code = "import sys; sys.stdout.write('same')"
    pair = harness.Pair(
        harness.Arm.process("p1", [sys.executable, "-c", code]),
        harness.Arm.process("p2", [sys.executable, "-S", "-c", code]),
    )
    outcome = harness.compare("processes", pair, target=100.0)
    assert outcome.error is None
    assert {r.result for r in outcome.runs} == {"same"}
    assert all(r.cpu >= 0 and r.wall > 0 and r.rss_kib > 0 for r in outcome.runs)


def test_a_failing_arm_is_an_error_not_a_ratio() -> None:
    def boom() -> int:
        raise ValueError("kaput")

    pair = harness.Pair(harness.Arm.forked("a", boom), harness.Arm.forked("b", lambda: 1))
    outcome = harness.compare("fails", pair, target=100.0)
    assert outcome.ratio is None and "kaput" in (outcome.error or "")


def test_mixing_process_and_forked_arms_is_refused() -> None:
    pair = harness.Pair(harness.Arm.forked("a", lambda: 1), harness.Arm.process("b", [sys.executable, "-c", ""]))
    with pytest.raises(ValueError, match="measured alike"):
        harness.compare("mixed", pair, target=1.0)


def test_fewer_than_three_rounds_is_refused() -> None:
    pair = harness.Pair(harness.Arm.forked("a", lambda: 1), harness.Arm.forked("b", lambda: 1))
    with pytest.raises(ValueError, match="at least 3"):
        harness.compare("two", pair, target=1.0, rounds=2)


def test_report_prints_and_appends_one_json_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv("BENCH_RESULTS", str(results))
    pair = harness.Pair(harness.Arm.forked("a", lambda: "x"), harness.Arm.forked("b", lambda: "x"), note="tiny")
    harness.report(harness.compare("json", pair, target=100.0))
    line = json.loads(results.read_text())
    assert line["bench"] == "json" and line["rounds"] == 3 and line["metric"] == "cpu"
    assert set(line["arms"]["a"]["cpu_s"]) == {"min", "median", "max"}
    assert line["arms"]["b"]["peak_rss_kib"] > 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == line


def test_run_py_discovers_every_bench_script_and_its_registrations() -> None:
    spec = importlib.util.spec_from_file_location("bench_run_under_test", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    found = run.scripts([])
    assert found == sorted(BENCH.glob("bench_*.py"))
    registered = {script.name: [b.name for b in run.load(script)] for script in found}
    # A script with its own command line registers nothing, and `make bench` cannot drive it.
    assert [name for name, benches in registered.items() if not benches] == []
    names = {name for benches in registered.values() for name in benches}
    assert {
        "help",
        "report-list",
        "customers-show",
        "import-sqlite",
        "rfm-sqlite",
        "loyalty-import",
        "nps-sqlite",
        "nps-postgres",
        "clv-sqlite",
        "clv-read-sql",
        "clv-postgres",
        "email-send",
        "reports-email-campaign-sqlite",
        "reports-nps-summary-postgres",
        "reports-clv-distribution-sqlite",
        "reports-nps-followups-postgres",
    } <= names
