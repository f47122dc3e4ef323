"""The registry: exactly the enabled plugins are imported, checked, ordered and registered.

Each broken plugin of ``tests/plugins/broken`` fails in one way; its test checks
that the message names the plugin, its distribution and version, the config
file, and says what to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pluggy
import pytest

from patron import CONTRACT_VERSION, PluginManifest, hookimpl
from patron.app import App
from patron.config import load_settings
from patron.errors import ConfigError, PluginError
from patron.registry import (
    PluginInfo,
    build_plugin_manager,
    installed_plugins,
    order_plugins,
)


def settings_for(tmp_path: Path, plugins: list[str], sections: str = "", env: dict[str, str] | None = None):
    cfg = tmp_path / "patron.toml"
    cfg.write_text(f"[patron]\nplugins = {json.dumps(plugins)}\n{sections}", encoding="utf-8")
    return load_settings(cfg, env=env or {}), cfg


def load_error(tmp_path: Path, plugin: str) -> tuple[PluginError, Path]:
    settings, cfg = settings_for(tmp_path, [plugin])
    with pytest.raises(PluginError) as err:
        build_plugin_manager(settings)
    return err.value, cfg


# -- discovery ---------------------------------------------------------------------


def test_installed_plugins_are_discovered_through_entry_points():
    installed = installed_plugins()
    assert installed["probe"].value == "patron_probe"
    assert {
        "broken_import",
        "broken_contract",
        "broken_hook",
        "broken_requires",
        "broken_manifest",
        "broken_config",
    } <= set(installed)


def run_python(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return result.stdout


@pytest.mark.slow
def test_only_enabled_entry_points_are_imported(tmp_path):
    settings_for(tmp_path, [])
    code = """
        import sys
        from patron.config import load_settings
        from patron.registry import build_plugin_manager
        pm = build_plugin_manager(load_settings())
        print(sorted(m for m in sys.modules if m.startswith(("patron_probe", "patron_broken"))))
    """
    # Nothing enabled: neither the probe nor any broken plugin is imported, though all are installed.
    out = run_python(code, PATRON_CONFIG=str(tmp_path / "patron.toml"))
    assert out.strip() == "[]"
    # Probe enabled: the probe only; every broken plugin stays unimported.
    out = run_python(code, PATRON_CONFIG=str(tmp_path / "patron.toml"), PATRON_LOAD_PLUGINS="probe")
    assert out.strip() == "['patron_probe']"


def test_load_plugins_empty_escape_hatch_starts_with_the_core_only(tmp_path):
    settings, _ = settings_for(tmp_path, ["broken_import", "probe"], env={"PATRON_LOAD_PLUGINS": ""})
    pm = build_plugin_manager(settings)
    assert list(pm.infos) == ["core"]


def test_unknown_plugin_lists_the_installed_ones(tmp_path):
    error, cfg = load_error(tmp_path, "loyalti")
    message = str(error)
    assert 'plugin "loyalti" is enabled in' in message and str(cfg) in message
    assert "Installed plugins: " in message and "probe" in message and "broken_config" in message
    assert "patron plugins disable loyalti" in message


def test_core_may_not_be_enabled_by_name(tmp_path):
    error, cfg = load_error(tmp_path, "core")
    assert '"core" is always loaded' in str(error) and str(cfg) in str(error)


# -- each broken plugin ---------------------------------------------------------------


def assert_names_plugin_dist_and_file(message: str, plugin: str, cfg: Path) -> None:
    assert f'"{plugin}"' in message
    assert "patron-broken 0.0.1" in message
    assert str(cfg) in message


def test_import_error_keeps_the_cause_and_its_traceback(tmp_path):
    error, cfg = load_error(tmp_path, "broken_import")
    message = str(error)
    assert message.startswith('Error loading plugin "broken_import" (patron-broken 0.0.1, enabled in ')
    assert_names_plugin_dist_and_file(message, "broken_import", cfg)
    assert "ModuleNotFoundError: No module named 'patron_broken_missing_dependency'" in message
    assert 'PATRON_LOAD_PLUGINS="" patron plugins disable broken_import' in message
    cause = error.__cause__
    assert isinstance(cause, ModuleNotFoundError)
    frames = []
    tb = cause.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert any(f.endswith("patron_broken/import_error.py") for f in frames)


def test_old_contract_is_refused_saying_both_versions(tmp_path):
    error, cfg = load_error(tmp_path, "broken_contract")
    message = str(error)
    assert_names_plugin_dist_and_file(message, "broken_contract", cfg)
    assert "written for Patron contract 0.9" in message
    assert f"provides contract {CONTRACT_VERSION}" in message
    assert "install a version of the plugin built for this core" in message
    assert "patron plugins disable broken_contract" in message


def test_misspelled_hook_fails_check_pending(tmp_path):
    error, cfg = load_error(tmp_path, "broken_hook")
    message = str(error)
    assert_names_plugin_dist_and_file(message, "broken_hook", cfg)
    assert "implements a hook that does not exist" in message and "patron_report" in message
    assert "patron plugins disable broken_hook" in message
    assert isinstance(error.__cause__, pluggy.PluginValidationError)


def test_missing_requirement_names_what_is_missing(tmp_path):
    error, cfg = load_error(tmp_path, "broken_requires")
    message = str(error)
    assert_names_plugin_dist_and_file(message, "broken_requires", cfg)
    assert "requires 'probe', which is not enabled" in message
    assert "patron plugins enable probe" in message and "or disable broken_requires" in message
    # With the requirement enabled, it loads and comes after what it requires.
    settings, _ = settings_for(tmp_path, ["broken_requires", "probe"])
    assert list(build_plugin_manager(settings).infos) == ["core", "probe", "broken_requires"]


def test_missing_manifest_is_refused(tmp_path):
    error, cfg = load_error(tmp_path, "broken_manifest")
    message = str(error)
    assert_names_plugin_dist_and_file(message, "broken_manifest", cfg)
    assert "has no MANIFEST = PluginManifest(...)" in message
    assert "patron plugins disable broken_manifest" in message


def test_invalid_plugin_config_names_key_plugin_dist_and_file(tmp_path):
    settings, cfg = settings_for(tmp_path, ["broken_config"])
    pm = build_plugin_manager(settings)  # loading is fine; validating its section is not
    with pytest.raises(ConfigError) as err:
        App(settings, pm)
    message = str(err.value)
    assert_names_plugin_dist_and_file(message, "broken_config", cfg)
    assert "plugins.broken_config.endpoint: Field required" in message
    assert "patron plugins disable broken_config" in message


# -- ordering and call order ---------------------------------------------------------------


def info(name: str, requires: tuple[str, ...] = (), after: tuple[str, ...] = ()) -> PluginInfo:
    manifest = PluginManifest(name=name, contract=CONTRACT_VERSION, requires=requires, after=after)
    return PluginInfo(name, types.ModuleType(name), manifest, f"patron-{name}", "1.0")


def test_plugins_are_ordered_after_what_they_require_ties_keep_config_order():
    ordered = order_plugins([info("c", requires=("a",)), info("b"), info("a", after=("b",)), info("d")])
    names = [i.name for i in ordered]
    assert names == ["b", "d", "a", "c"]


def test_after_on_a_plugin_that_is_not_enabled_is_ignored():
    assert [i.name for i in order_plugins([info("a", after=("ghost",))])] == ["a"]


def test_dependency_cycle_is_an_error_naming_the_plugins():
    with pytest.raises(PluginError, match=r"plugins a, b depend on each other in a cycle"):
        order_plugins([info("a", requires=("b",)), info("b", after=("a",)), info("c")])


def test_hook_call_order_is_lifo_with_tryfirst_and_trylast_through_every_production_path(
    patron_app, patron_inline_plugin
):
    """pluggy calls the last registered plugin first; tryfirst/trylast move an implementation.

    Asserted through the paths production takes (``App.call_each`` for events
    and jobs, the contribution collector for registration hooks, the refresh
    job), not through ``pm.hook``: they are one dispatch path, like tox's
    ``test_plugin_hooks_and_order``.
    """
    from datetime import UTC, datetime

    from patron.contracts import Audience
    from patron.refresh import refresh

    calls: list[str] = []

    def plugin(name: str, **marker: bool) -> object:
        class Plugin:
            @hookimpl(**marker)
            def patron_customer_erase(self, customer_id: int) -> None:
                calls.append(name)

            @hookimpl(**marker)
            def patron_refresh(self) -> str:
                calls.append(name)
                return name

            @hookimpl(**marker)
            def patron_audiences(self, register) -> None:  # type: ignore[no-untyped-def]
                register(Audience(f"{name}:all", name, lambda session: None))  # type: ignore[arg-type,return-value]

        return Plugin()

    patron_inline_plugin(patron_app, plugin("first_last", trylast=True), "first_last")
    patron_inline_plugin(patron_app, plugin("early"), "early")
    patron_inline_plugin(patron_app, plugin("late"), "late")
    patron_inline_plugin(patron_app, plugin("last_first", tryfirst=True), "last_first")
    expected = ["last_first", "late", "early", "first_last"]

    assert patron_app.call_order("patron_customer_erase") == expected
    patron_app.call_each("patron_customer_erase", app=patron_app, session=None, customer_id=1)
    assert calls == expected
    calls.clear()
    lines = refresh(patron_app, datetime(2025, 1, 1, tzinfo=UTC))
    assert calls == expected
    assert [line.split(":")[0] for line in lines][: len(expected)] == expected
    assert [name.split(":")[0] for name in patron_app.audiences] == expected


def test_an_error_in_any_dispatch_path_names_the_plugin(patron_app, patron_inline_plugin):
    """Events, contributions, reports and panels: every path names the failing plugin."""
    from patron.contracts import ReportResult
    from patron.customer360 import build_view
    from patron.errors import PluginError
    from patron.ingest import upsert_customers
    from patron.reports.runner import run_report

    class BrokenReport:
        name, title, description, params = "boom-report", "Boom", "raises", ()

        def run(self, app, session, params) -> ReportResult:  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("in the report")

    class BrokenPanel:
        name, title = "boom-panel", "Boom"

        def render(self, app, session, customer_id):  # type: ignore[no-untyped-def]
            raise LookupError("in the panel")

    class Boom:
        @hookimpl
        def patron_reports(self, register) -> None:  # type: ignore[no-untyped-def]
            register(BrokenReport())

        @hookimpl
        def patron_customer_panels(self, register) -> None:  # type: ignore[no-untyped-def]
            register(BrokenPanel())

        @hookimpl
        def patron_audiences(self, register) -> None:  # type: ignore[no-untyped-def]
            raise RuntimeError("kaput")

        @hookimpl
        def patron_customer_erase(self, customer_id: int) -> None:
            raise KeyError("gone")

    patron_inline_plugin(patron_app, Boom(), "boom")
    named = r'plugin "boom" \(inline \d+\) failed in '
    with pytest.raises(PluginError, match=named + "patron_audiences: RuntimeError: kaput"):
        patron_app.audiences  # noqa: B018 - collecting is the act under test
    with pytest.raises(PluginError, match=named + "patron_customer_erase: KeyError"):
        patron_app.call_each("patron_customer_erase", app=patron_app, session=None, customer_id=1)
    with pytest.raises(PluginError, match=named + 'report "boom-report": ZeroDivisionError: in the report'):
        run_report(patron_app, "boom-report")
    with patron_app.transaction() as session:
        upsert_customers(patron_app, session, [{"external_id": "C-1", "name": "Ann"}])
    with (
        pytest.raises(PluginError, match=named + 'customer panel "boom-panel": LookupError'),
        patron_app.transaction() as s,
    ):
        build_view(patron_app, s, "C-1")


def test_a_dependant_plugins_hooks_run_before_those_it_requires(tmp_path):
    settings, _ = settings_for(tmp_path, ["broken_requires", "probe"])
    pm = build_plugin_manager(settings)
    # broken_requires implements no hook; the registration order is what pluggy reverses.
    assert [name for name, _ in pm.list_name_plugin()] == ["core", "probe", "broken_requires"]
    # Results come in call order: the probe (registered after core) is called first.
    results = pm.hook.patron_migrations()
    assert [Path(r).parent.name for r in results] == ["patron_probe", "migrations"]  # probe, then core
    # App.call_each walks the same order.
    from patron.app import App

    assert App(settings, pm).call_order("patron_migrations") == ["probe", "core"]


# -- tracing -----------------------------------------------------------------------------


def test_trace_hooks_prints_each_hook_call(tmp_path, monkeypatch, capsys):
    settings, _ = settings_for(tmp_path, ["probe"])
    monkeypatch.setenv("PATRON_TRACE_HOOKS", "1")
    pm = build_plugin_manager(settings)
    pm.hook.patron_migrations()
    err = capsys.readouterr().err
    assert "[patron hook] patron_migrations() -> [core, probe]" in err
    assert "[patron hook] patron_migrations ok" in err


def test_no_trace_without_the_switch(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PATRON_TRACE_HOOKS", raising=False)
    settings, _ = settings_for(tmp_path, ["probe"])
    build_plugin_manager(settings).hook.patron_migrations()
    assert "[patron hook]" not in capsys.readouterr().err


# -- contributions ---------------------------------------------------------------------------


def test_duplicate_contribution_names_are_refused_naming_both_plugins(make_patron_app, patron_inline_plugin):
    app = make_patron_app(plugins=["probe"], migrate=False)

    class Copycat:
        @hookimpl
        def patron_reports(self, register):  # type: ignore[no-untyped-def]
            from patron_probe.contributions import NotesReport

            register(NotesReport())

    patron_inline_plugin(app, Copycat(), "copycat")
    with pytest.raises(PluginError) as err:
        app.reports  # noqa: B018 - collecting is the act under test
    assert str(err.value) == (
        'report "probe-notes" is registered twice: by plugin "copycat" and by plugin "probe"; '
        "disable one of them or rename one report"
    )


def test_contributions_remember_their_supplier(make_patron_app):
    app = make_patron_app(plugins=["probe"], migrate=False)
    assert app.reports.suppliers["probe-notes"] == "probe"
    assert all(supplier in {"core", "probe"} for supplier in app.reports.suppliers.values())
    assert list(app.scoring_models) == ["probe:interaction-count"]
    assert list(app.audiences) == ["probe:noted"]


@pytest.mark.parametrize("bad", ["Has Spaces", None, "", "x" * 101])
def test_a_badly_named_contribution_is_refused_naming_the_plugin(patron_app, patron_inline_plugin, bad):
    class Item:
        name = bad

    class Sloppy:
        @hookimpl
        def patron_audiences(self, register):  # type: ignore[no-untyped-def]
            register(Item())

    patron_inline_plugin(patron_app, Sloppy(), "sloppy")
    with pytest.raises(PluginError) as err:
        patron_app.audiences  # noqa: B018 - collecting is the act under test
    assert str(err.value).startswith(f'plugin "sloppy" registered an invalid name: audience name {bad!r} is not valid')


@pytest.mark.parametrize("plugin", ["nosuch", "broken_import", "broken_hook", "broken_manifest", "broken_contract"])
def test_a_plugin_enabled_from_the_environment_is_to_be_removed_there(tmp_path, plugin):
    settings, _ = settings_for(tmp_path, [], env={"PATRON_PLUGINS": plugin})
    with pytest.raises(PluginError) as err:
        build_plugin_manager(settings)
    message = str(err.value)
    assert "enabled in $PATRON_PLUGINS" in message
    assert message.endswith("remove it from $PATRON_PLUGINS")
    assert "patron plugins disable" not in message


def test_plugin_config_is_typed_and_refuses_a_mismatch(make_patron_app):
    from pydantic import BaseModel

    from patron.errors import ConfigError
    from patron_probe.config import ProbeConfig

    app = make_patron_app(plugins=["probe"], migrate=False)
    assert isinstance(app.plugin_config("probe", ProbeConfig), ProbeConfig)

    class Other(BaseModel):
        pass

    with pytest.raises(ConfigError, match=r'plugin "probe" has ProbeConfig, not Other'):
        app.plugin_config("probe", Other)
    with pytest.raises(ConfigError, match=r'plugin "rfm" has no config, not Other; plugin "rfm" is not enabled'):
        app.plugin_config("rfm", Other)


def test_a_manifest_declares_config_model_and_migrations_without_hookimpls(make_patron_app):
    """rfm declares both in its MANIFEST and implements neither hook."""
    from patron_rfm.config import RfmConfig

    app = make_patron_app(plugins=["rfm"], migrate=False)
    assert "rfm" not in app.call_order("patron_config_model")
    assert "rfm" not in app.call_order("patron_migrations")
    assert isinstance(app.plugin_config("rfm", RfmConfig), RfmConfig)
    assert [b.name for b in app.migration_branches()] == ["core", "rfm"]
