"""``patron plugin new``: name checks, the rendered tree, and the whole author's path end to end.

The end-to-end test does what a new plugin author does: scaffold through the
CLI (with the SDK enabled for one command), pip-install the result, enable it,
list it, run its report, run its own tests (discovery, behaviour, conformance)
in a subprocess. It installs into a throwaway virtual environment (the
``throwaway_venv`` fixture), never into the shared one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.errors import InputError
from patron_sdk.scaffold import VERTICALS, render_plugin

BIN = Path(sys.executable).parent


def _patron(
    *args: str, cwd: Path, env: dict[str, str] | None = None, bin_dir: Path = BIN
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "patron"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Shop", "plugin name 'Shop' is not valid"),
        ("9lives", "is not valid"),
        ("with-dash", "is not valid"),
        ("class", "is not valid"),
        ("sdk", "is reserved"),
        ("probe", 'a plugin named "probe" is already installed'),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(name: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=message):
        render_plugin(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "patron-tinyshop").mkdir()
    (tmp_path / "patron-tinyshop" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="patron-tinyshop already exists; remove it or choose another"):
        render_plugin("tinyshop", tmp_path)
    assert [p.name for p in (tmp_path / "patron-tinyshop").iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("vertical", sorted(VERTICALS))
def test_each_vertical_renders_a_complete_distribution(vertical: str, tmp_path: Path) -> None:
    target = render_plugin("tinyshop", tmp_path, vertical=vertical)
    v = VERTICALS[vertical]
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert files == {
        "pyproject.toml",
        "README.md",
        "patron_tinyshop/__init__.py",
        "patron_tinyshop/config.py",
        "patron_tinyshop/models.py",
        "patron_tinyshop/records.py",
        "patron_tinyshop/scoring.py",
        "patron_tinyshop/reports.py",
        "patron_tinyshop/audiences.py",
        "patron_tinyshop/panel.py",
        "patron_tinyshop/privacy.py",
        "patron_tinyshop/cli.py",
        f"patron_tinyshop/migrations/tinyshop_0001_{v.table}.py",
        "tests/test_discovery.py",
        "tests/test_behaviour.py",
        "tests/test_conformance.py",
    }
    assert 'tinyshop = "patron_tinyshop"' in (target / "pyproject.toml").read_text()
    package = target / "patron_tinyshop"
    assert f'name = "tinyshop:{v.model}"' in (package / "scoring.py").read_text()
    assert f'name = "tinyshop-{v.report}"' in (package / "reports.py").read_text()
    # The same shape as the shipped plugins: typed register callbacks, the public CLI helpers.
    hooks = (package / "__init__.py").read_text()
    assert "register: Callable[[Report], None]" in hooks and "Callable[[Any], None]" not in hooks
    assert "from patron.cli_options import" in (package / "cli.py").read_text()
    for path in target.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")  # every rendered module is valid Python


def test_the_command_needs_the_sdk_enabled_and_says_so(tmp_path: Path) -> None:
    without = _patron("plugin", "new", "tinyshop", cwd=tmp_path, env={"PATRON_PLUGINS": ""})
    assert without.returncode != 0
    assert "No such command 'plugin'" in without.stderr
    bad = _patron("plugin", "new", "Bad", cwd=tmp_path, env={"PATRON_PLUGINS": "sdk"})
    assert bad.returncode == 6
    assert "plugin name 'Bad' is not valid" in bad.stderr


@pytest.mark.slow
def test_scaffold_install_enable_list_report_and_its_own_tests(tmp_path: Path, throwaway_venv: Path) -> None:
    name = "sdk_scaffold_check"
    created = _patron(
        "plugin",
        "new",
        name,
        "--vertical",
        "retail",
        "--dir",
        str(tmp_path),
        cwd=tmp_path,
        env={"PATRON_PLUGINS": "sdk"},
    )
    assert created.returncode == 0, created.stderr
    target = tmp_path / "patron-sdk-scaffold-check"
    assert f"Created {target}" in created.stdout
    installed = subprocess.run(
        [str(throwaway_venv / "pip"), "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    project = tmp_path / "project"
    project.mkdir()
    env = {"PATRON_CONFIG": str(project / "patron.toml")}
    venv_bin = {"bin_dir": throwaway_venv}
    assert _patron("init", cwd=project, env=env, **venv_bin).returncode == 0
    enabled = _patron("plugins", "enable", name, cwd=project, env=env, **venv_bin)
    assert enabled.returncode == 0, enabled.stderr
    assert _patron("db", "upgrade", cwd=project, env=env, **venv_bin).returncode == 0
    listed = _patron("plugins", "list", cwd=project, env=env, **venv_bin)
    assert f"[on ] {name}" in listed.stdout
    report = _patron("report", "run", f"{name}-basket-size", "-f", "json", cwd=project, env=env, **venv_bin)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["title"] == "Basket size and favourite stores"
    # The generated tests, as the author runs them (SQLite, and PostgreSQL when configured).
    tests = subprocess.run(
        [str(throwaway_venv / "python"), "-m", "pytest", "-q"], cwd=target, capture_output=True, text=True, check=False
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
    # The shared venv never saw it.
    assert name not in _patron("plugins", "list", "--json", cwd=project, env=env).stdout


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_a_name_is_either_refused_or_usable_everywhere_it_goes(name: str) -> None:
    from patron.contracts import NAME_PATTERN
    from patron_sdk.scaffold import check_plugin_name

    try:
        check_plugin_name(name)
    except InputError as exc:
        assert repr(name) in str(exc)
        return
    assert f"patron_{name}".isidentifier()  # the import package
    assert NAME_PATTERN.match(name)  # the entry point / plugin name
    assert name not in {"core", "sdk"}
