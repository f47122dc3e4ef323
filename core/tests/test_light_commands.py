"""Listing reports and showing a customer read no plugin config, so they validate none; other commands do.

``patron report list`` and ``patron customers show`` build their app with
``App(check_config=False)``: validating every plugin's section means importing
pydantic and building each plugin's model, which cost more than the listing and
a third of showing a customer. A bad section is still reported, with the same
message, by every other command (the app is validated first) and by any plugin
code these two run that reads its own config (a report registration, a panel).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from patron import hookimpl
from patron.app import App
from patron.cli import build_cli
from patron.config import load_settings
from patron.errors import ConfigError
from patron.registry import build_plugin_manager

MESSAGE = "plugins.broken_config.endpoint: Field required"


@pytest.fixture
def bad_config(tmp_path):
    """A config enabling a plugin whose section is invalid (a required key is missing)."""
    path = tmp_path / "patron.toml"
    path.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "x.db"}"\nplugins = ["broken_config"]\n')
    return path


@pytest.fixture
def customer(bad_config, tmp_path):
    """Customer c1 in the database of ``bad_config``, stored with the broken plugin disabled."""
    good = tmp_path / "good.toml"
    good.write_text(bad_config.read_text().replace('plugins = ["broken_config"]', "plugins = []"))
    (tmp_path / "c.csv").write_text("external_id,name,email\nc1,Ada Lovelace,ada@example.com\n")
    for args in (("db", "upgrade"), ("import", "customers", str(tmp_path / "c.csv"))):
        assert invoke(good, *args).exit_code == 0
    return "c1"


def invoke(config, *args: str):
    argv = ["--config", str(config), *args]
    return CliRunner().invoke(build_cli(argv), argv, catch_exceptions=False)


def test_report_list_does_not_need_plugin_config(bad_config):
    result = invoke(bad_config, "report", "list")
    assert result.exit_code == 0, result.output
    assert "overview" in result.output


def test_customers_show_does_not_need_plugin_config(bad_config, customer):
    result = invoke(bad_config, "customers", "show", customer)
    assert result.exit_code == 0, result.output
    assert "Ada Lovelace" in result.output


@pytest.mark.parametrize(
    "args",
    [("config", "show"), ("report", "run", "overview"), ("customers", "export", "c1"), ("db", "upgrade")],
)
def test_commands_that_read_plugin_config_still_refuse_a_bad_section(bad_config, args):
    result = invoke(bad_config, *args)
    assert result.exit_code == ConfigError.exit_code, result.output
    assert MESSAGE in result.output and str(bad_config) in result.output
    assert "Traceback" not in result.output


def test_a_deferred_check_raises_the_same_error_when_a_config_is_read(bad_config):
    settings = load_settings(bad_config)
    with pytest.raises(ConfigError) as eager:
        App(settings, build_plugin_manager(settings))
    app = App(settings, build_plugin_manager(settings), check_config=False)
    assert "overview" in app.reports
    with pytest.raises(ConfigError) as deferred:
        app.plugin_config("broken_config")
    assert str(deferred.value) == str(eager.value)
    with pytest.raises(ConfigError):
        app.check_config()


class ReadsItsConfigWhenRegistering:
    """An inline plugin whose report registration reads plugin config."""

    @hookimpl
    def patron_reports(self, register, app):
        app.plugin_config("broken_config")


class PanelReadingConfig:
    """A customer panel that reads plugin config when it renders."""

    name = "reads-config"
    title = "Reads config"

    def render(self, app, session, customer_id):
        app.plugin_config("broken_config")


class ContributesThePanel:
    @hookimpl
    def patron_customer_panels(self, register):
        register(PanelReadingConfig())


def test_a_registration_that_reads_config_gets_the_error(bad_config):
    settings = load_settings(bad_config)
    pm = build_plugin_manager(settings)
    pm.register(ReadsItsConfigWhenRegistering(), name="reader")
    app = App(settings, pm, check_config=False)
    with pytest.raises(ConfigError, match=MESSAGE):
        list(app.reports)


def test_a_panel_that_reads_config_gets_the_error(bad_config, customer):
    from patron.customer360 import build_view

    settings = load_settings(bad_config)
    pm = build_plugin_manager(settings)
    pm.register(ContributesThePanel(), name="panel")
    app = App(settings, pm, check_config=False)
    try:
        with pytest.raises(ConfigError, match=MESSAGE), app.transaction() as session:
            build_view(app, session, customer)
    finally:
        app.dispose()


def test_the_program_closes_the_database_before_it_exits(tmp_path):
    # patron spares its exit the final garbage collection (gc.freeze in patron.cli), so the collection
    # cannot close the database: the program must. An SQLite database left open keeps its -wal file.
    import subprocess
    import sys

    config = tmp_path / "patron.toml"
    config.write_text(f'[patron]\ndatabase_url = "sqlite:///{tmp_path / "crm.db"}"\n')
    (tmp_path / "c.csv").write_text("external_id,name,email\nc1,Ada Lovelace,ada@example.com\n")
    for args in (("db", "upgrade"), ("import", "customers", str(tmp_path / "c.csv")), ("customers", "show", "c1")):
        done = subprocess.run(
            [sys.executable, "-m", "patron.cli", "--config", str(config), *args], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in tmp_path.glob("crm.db*")) == ["crm.db"], args
    assert "Ada Lovelace" in done.stdout
