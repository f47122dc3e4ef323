"""Small things a new user trips on: the demo's hints name a patron that runs, ``-o out/`` is a directory."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from patron.commands.demo_cmd import TRY_NEXT, next_steps
from patron.reports.output import write_outputs

VENV_PATRON = Path(sys.executable).parent / "patron"


@pytest.fixture
def nothing_activated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")


def test_hints_name_the_venvs_patron_relative_to_a_demo_beside_it(nothing_activated: None) -> None:
    checkout = VENV_PATRON.parents[2]
    steps, activate = next_steps(checkout / "patron-demo", checkout)
    assert steps[0] == "cd patron-demo"
    relative = Path("..") / VENV_PATRON.relative_to(checkout)
    assert steps[1:] == [f"{shlex.quote(str(relative))} {command}" for command in TRY_NEXT]
    assert activate == f"source {shlex.quote(str(VENV_PATRON.relative_to(checkout).parent / 'activate'))}"


def test_hints_use_absolute_paths_for_a_demo_elsewhere(nothing_activated: None, tmp_path: Path) -> None:
    steps, _ = next_steps(tmp_path / "my demo", tmp_path)
    assert steps[0] == "cd 'my demo'"
    if not tmp_path.resolve().is_relative_to(VENV_PATRON.parents[3]):
        assert steps[1].startswith(f"{shlex.quote(str(VENV_PATRON))} ")


def test_hints_from_inside_the_demo_need_no_cd(nothing_activated: None, tmp_path: Path) -> None:
    steps, _ = next_steps(tmp_path, tmp_path)
    assert len(steps) == len(TRY_NEXT) and not steps[0].startswith("cd ")


def test_hints_say_plain_patron_when_it_is_the_one_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(VENV_PATRON.parent))
    steps, activate = next_steps(tmp_path, tmp_path)
    assert steps == [f"patron {command}" for command in TRY_NEXT] and activate is None


def test_csv_output_with_a_trailing_slash_is_a_directory(tmp_path: Path) -> None:
    written = write_outputs("r", "csv", {"t": "a\n1\n"}, f"{tmp_path / 'out'}/")
    assert written == [tmp_path / "out" / "r-t.csv"]
