"""``patron --help`` stays cheap: building the CLI imports nothing heavy, even with plugins enabled."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "pydantic", "jinja2", "alembic")


def imported_modules(*args: str, **env: str) -> tuple[set[str], str]:
    """Run ``python -X importtime -m patron.cli ARGS``; return the top-level modules it imported and stdout."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "patron.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        # "import time:       self [us] |   cumulative | imported package"
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names, result.stdout


@pytest.mark.slow
def test_help_with_the_probe_enabled_imports_nothing_heavy(tmp_path):
    modules, out = imported_modules("--help", PATRON_LOAD_PLUGINS="probe", PATRON_CONFIG="")
    assert "probe" in out, "the probe's command group is listed, so the probe really was loaded"
    assert "patron_probe" in modules and "click" in modules
    assert not modules & set(HEAVY), f"patron --help imported {sorted(modules & set(HEAVY))}"


@pytest.mark.slow
def test_the_measurement_would_see_a_heavy_import(tmp_path):
    # Same measurement on a command that does need the database layer: it must show up.
    cfg = tmp_path / "patron.toml"
    cfg.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "x.db"}"\n')
    modules, _ = imported_modules("--config", str(cfg), "db", "upgrade")
    assert {"sqlalchemy", "alembic"} <= modules


def shipped_plugins() -> list[str]:
    """Entry-point names of the workspace's plugins/* distributions that are installed here."""
    root = Path(__file__).resolve().parents[2]
    installed = {ep.name for ep in entry_points(group="patron")}
    names: list[str] = []
    for pyproject in sorted(root.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        names += [n for n in project.get("entry-points", {}).get("patron", {}) if n in installed]
    return names


@pytest.mark.slow
def test_help_with_every_shipped_plugin_imports_nothing_heavy():
    plugins = shipped_plugins()
    modules, _ = imported_modules("--help", PATRON_LOAD_PLUGINS=",".join(["probe", *plugins]), PATRON_CONFIG="")
    assert not modules & set(HEAVY), f"patron --help with {plugins} imported {sorted(modules & set(HEAVY))}"
    packages = {ep.value.split(":")[0].split(".")[0] for ep in entry_points(group="patron") if ep.name in plugins}
    assert packages <= modules, "every shipped plugin was really loaded"


#: Modules that run reports: listing reports must not need them.
REPORT_IMPLEMENTATIONS = (
    "patron.reports.overview",
    "patron.reports.runner",
    "patron_rfm.reports",
    "patron_loyalty.reports",
    "patron_clv.reports",
    "patron_email.reports",
    "patron_nps.reports",
)


@pytest.mark.slow
@pytest.mark.parametrize("command", [("report", "list"), ("plugins", "list"), ("config", "show"), ("--help",)])
def test_light_commands_import_neither_sqlalchemy_nor_a_report_implementation(tmp_path, command):
    plugins = shipped_plugins()
    cfg = tmp_path / "patron.toml"
    listed = ", ".join(f'"{p}"' for p in plugins)
    cfg.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "x.db"}"\nplugins = [{listed}]\n')
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "patron.cli", "--config", str(cfg), *command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    full = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert not {m.split(".")[0] for m in full} & {"sqlalchemy", "alembic", "jinja2"}, sorted(full)
    assert not full & set(REPORT_IMPLEMENTATIONS), sorted(full & set(REPORT_IMPLEMENTATIONS))
    if command != ("config", "show"):  # showing the config validates it: pydantic is what validates
        # Neither the plugins' config models (pydantic) nor importlib.metadata (patron.discovery reads
        # the entry points): each cost more than click itself.
        assert not full & {"pydantic", "importlib.metadata"}, sorted(full & {"pydantic", "importlib.metadata"})
    if command == ("report", "list"):
        for name in ("overview", "rfm-segments", "loyalty-tiers", "clv-distribution", "email-campaign", "nps-summary"):
            assert name in result.stdout, name


@pytest.mark.slow
def test_customers_show_with_every_shipped_plugin_imports_no_pydantic(tmp_path):
    # No panel reads plugin config (so none is validated) nor needs a pydantic model to render.
    plugins = shipped_plugins()
    cfg = tmp_path / "patron.toml"
    listed = ", ".join(f'"{p}"' for p in plugins)
    cfg.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "x.db"}"\nplugins = [{listed}]\n')
    (tmp_path / "c.csv").write_text("external_id,name,email\nc1,Ada Lovelace,ada@example.com\n")
    for args in (("db", "upgrade"), ("import", "customers", str(tmp_path / "c.csv"))):
        done = subprocess.run(
            [sys.executable, "-m", "patron.cli", "--config", str(cfg), *args], capture_output=True, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
    modules, out = imported_modules("--config", str(cfg), "customers", "show", "c1")
    assert "Ada Lovelace" in out
    assert "sqlalchemy" in modules, "the measurement sees the database layer"
    assert "pydantic" not in modules
