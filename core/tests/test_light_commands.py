"""Listing reports reads no plugin config, so it validates none; every command that reads one still does.

``patron report list`` builds its app with ``App(check_config=False)``: validating
every plugin's section means importing pydantic and building each plugin's model,
which cost more than the listing. A bad section is still reported, with the same
message, by every command that reads plugin config (the app is then validated
first) and by any plugin whose registration reads its own.
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


def invoke(config, *args: str):
    argv = ["--config", str(config), *args]
    return CliRunner().invoke(build_cli(argv), argv, catch_exceptions=False)


def test_report_list_does_not_need_plugin_config(bad_config):
    result = invoke(bad_config, "report", "list")
    assert result.exit_code == 0, result.output
    assert "overview" in result.output


@pytest.mark.parametrize(
    "args",
    [("config", "show"), ("report", "run", "overview"), ("customers", "show", "c1"), ("db", "upgrade")],
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


def test_a_registration_that_reads_config_gets_the_error(bad_config):
    settings = load_settings(bad_config)
    pm = build_plugin_manager(settings)
    pm.register(ReadsItsConfigWhenRegistering(), name="reader")
    app = App(settings, pm, check_config=False)
    with pytest.raises(ConfigError, match=MESSAGE):
        list(app.reports)
