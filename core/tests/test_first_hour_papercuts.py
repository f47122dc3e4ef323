"""Small things a new user trips on: the demo's hints name a patron that runs, ``-o out/`` is a directory."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from patron.app import App
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


COMMAND_OF_A_DISABLED_PLUGIN = """
import sys
from patron.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    print("exit", exc.code)
print(sorted(m for m in sys.modules if m.startswith(("patron_probe", "patron_sdk."))))
"""


@pytest.mark.parametrize(
    ("args", "plugin", "distribution"),
    [(["probe", "hello"], "probe", "patron-probe 0.1.0"), (["plugin", "new", "shop"], "sdk", "patron-sdk 0.1.0")],
)
def test_a_command_of_a_disabled_plugin_says_which_plugin_to_enable(
    tmp_path: Path, args: list[str], plugin: str, distribution: str
) -> None:
    import subprocess

    (tmp_path / "patron.toml").write_text("[patron]\nplugins = []\n")
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_OF_A_DISABLED_PLUGIN, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f'it comes from the plugin "{plugin}" ({distribution}), which is installed but not enabled' in done.stderr
    assert (
        f"'patron plugins enable {plugin}'" in done.stderr
        and f"PATRON_PLUGINS={plugin} patron {args[0]}" in done.stderr
    )
    assert done.stdout.splitlines() == ["exit 2", "[]"]  # a usage error, and nothing of the plugin was imported


def test_an_unknown_command_still_gets_did_you_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from patron.cli import build_cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_cli(["plugin"]), ["plugn"])
    assert result.exit_code == 2 and "No such command 'plugn'" in result.output


def patron(config: Path, *args: str) -> Result:
    from click.testing import CliRunner

    from patron.cli import build_cli

    argv = ["--config", str(config), *args]
    return CliRunner().invoke(build_cli(argv), argv, catch_exceptions=False)


def test_enable_asks_for_db_upgrade_only_for_plugins_with_tables(tmp_path: Path) -> None:
    config = tmp_path / "patron.toml"
    config.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "p.db"}"\nplugins = []\n')
    without_tables = patron(config, "plugins", "enable", "sdk")
    assert without_tables.exit_code == 0, without_tables.output
    assert "db upgrade" not in without_tables.output
    with_tables = patron(config, "plugins", "enable", "probe")
    assert with_tables.exit_code == 0, with_tables.output
    assert "Run 'patron db upgrade' to create the tables of probe." in with_tables.output


def test_plugins_info_prints_no_empty_lines(tmp_path: Path) -> None:
    config = tmp_path / "patron.toml"
    config.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "p.db"}"\nplugins = ["sdk"]\n')
    for name in ("sdk", "probe"):  # enabled (contributions known) and not (hooks unknown)
        result = patron(config, "plugins", "info", name)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert all(line.strip() for line in lines), result.output
        assert not [line for line in lines if line.endswith((": ", ": None"))], result.output
        assert {line for line in lines if line.endswith(":")} <= {"settings:", "contributions:"}, result.output


def test_an_unknown_report_gets_a_did_you_mean(patron_app: App, patron_cli: Callable[..., Result]) -> None:
    result = patron_cli(patron_app, "report", "run", "overveiw")
    assert result.exit_code == 7
    assert 'no report named "overveiw"; did you mean "overview"? available: overview' in result.output


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("patron report run ov", {"overview"}),
        ("patron report run probe-", {"probe-notes"}),
        ("patron plugins enable pro", {"probe"}),
        ("patron plugins info broken_i", {"broken_import"}),
    ],
)
def test_shell_completion_completes_report_and_plugin_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: str, expected: set[str]
) -> None:
    from click.testing import CliRunner

    from patron.cli import build_cli

    config = tmp_path / "patron.toml"
    config.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "p.db"}"\nplugins = ["probe"]\n')
    env = {
        "_PATRON_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    monkeypatch.setenv("PATRON_CONFIG", str(config))
    result = CliRunner().invoke(build_cli([]), [], env=env, prog_name="patron")
    assert result.exit_code == 0, result.output
    assert {line.split(",", 1)[1] for line in result.output.splitlines()} == expected
