"""The ``patron`` CLI: init, config show, plugins list/info/enable/disable, db, and a plugin's own group."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select

from patron.cli import build_cli, main
from patron.db import normalize_url
from patron.errors import PluginError

COMMENTED = """\
# Our CRM. Keep this comment.
[patron]
database_url = "sqlite:///crm.db"  # the file next to this one
plugins = []  # switched by 'patron plugins enable'

# Probe settings, tuned by hand.
[plugins.probe]
greeting = "ahoy"   # pirate mode
"""


def invoke(*args: str, env: dict[str, str] | None = None):
    """Run the CLI as ``main()`` would (build from argv, then run), in-process."""
    runner = CliRunner()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        return runner.invoke(build_cli(list(args)), list(args), catch_exceptions=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def tables(url: str) -> set[str]:
    engine = create_engine(normalize_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "patron.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


# -- help and init ----------------------------------------------------------------------


def test_help_lists_core_commands_and_enabled_plugin_groups(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("init", "config", "plugins", "db"):
        assert f"\n  {command} " in result.output
    assert "probe" not in result.output
    with_probe = invoke("--help", env={"PATRON_LOAD_PLUGINS": "probe"})
    assert "\n  probe " in with_probe.output and "Probe plugin commands" in with_probe.output


def test_init_writes_a_commented_config_and_creates_the_database(tmp_path, monkeypatch, patron_db_url):
    monkeypatch.chdir(tmp_path)
    result = invoke("init", "--database-url", patron_db_url, "--plugins", "probe")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "patron.toml").read_text()
    assert text.count("\n#") >= 5, "the generated file explains itself in comments"
    assert 'plugins = ["probe"]' in text
    assert {
        "customers",
        "interactions",
        "consents",
        "audit_events",
        "probe_notes",
        "patron_version_core",
        "patron_version_probe",
    } <= tables(patron_db_url)
    assert "Database ready" in result.output
    # Running it again keeps the file and is harmless.
    again = invoke("init")
    assert again.exit_code == 0 and "Using existing" in again.output
    assert (tmp_path / "patron.toml").read_text() == text


def test_init_refuses_to_overwrite_with_other_plugins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("init").exit_code == 0
    before = (tmp_path / "patron.toml").read_text()
    result = invoke("init", "--plugins", "probe")
    assert result.exit_code == 3
    assert "patron.toml already exists and was left unchanged" in result.output
    assert "'patron plugins enable', or pass --force" in result.output
    assert (tmp_path / "patron.toml").read_text() == before
    assert invoke("init", "--database-url", "sqlite:///elsewhere.db").exit_code == 3
    assert (tmp_path / "patron.toml").read_text() == before


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--plugins", "nosuch,probe"], 4, "not installed: nosuch; nothing was written. Installed plugins: "),
        (["--plugins", "broken_config"], 3, "plugins.broken_config.endpoint: Field required"),
        (["--plugins", "broken_import"], 4, "No module named 'patron_broken_missing_dependency'"),
        (["--database-url", "postgresql://crm:hunter2@127.0.0.1:1/crm"], 5, "Connection refused"),
    ],
)
def test_a_failed_init_writes_nothing(tmp_path, monkeypatch, args, code, expected):
    monkeypatch.chdir(tmp_path)
    result = invoke("init", *args)
    assert result.exit_code == code
    assert expected in result.output
    if code != 4 or "nosuch" not in args[1]:
        assert "patron init wrote nothing: " in result.output
        assert str(tmp_path / "patron.toml") in result.output and ".init" not in result.output
    assert "hunter2" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_init_writes_where_patron_config_points(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "etc" / "patron.toml"
    target.parent.mkdir()
    # --config names a file that does not exist yet: init creates it there.
    result = invoke("--config", str(target), "init")
    assert result.exit_code == 0, result.output
    assert target.is_file() and not (tmp_path / "patron.toml").exists()
    assert (target.parent / "patron.db").is_file()
    # So does $PATRON_CONFIG.
    other = tmp_path / "other" / "patron.toml"
    other.parent.mkdir()
    result = invoke("init", env={"PATRON_CONFIG": str(other)})
    assert result.exit_code == 0, result.output
    assert other.is_file() and not (tmp_path / "patron.toml").exists()


# -- config show ---------------------------------------------------------------------------


def test_config_show_prints_the_effective_config_with_secrets_masked(config_file):
    env = {
        "PATRON_DATABASE_URL": "postgresql://crm:hunter2@db.example:5432/crm",
        "PATRON_PLUGINS": "probe",
        "PATRON_PLUGINS__PROBE__API_TOKEN": "tok-SECRET-123",
    }
    result = invoke("--config", str(config_file), "config", "show", env=env)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "tok-SECRET-123" not in result.output
    assert 'database_url = "postgresql://crm:***@db.example:5432/crm"' in result.output
    assert 'greeting = "ahoy"' in result.output
    assert "api_token" in result.output and "**********" in result.output
    as_json = invoke("--config", str(config_file), "config", "show", "--json", env=env)
    data = json.loads(as_json.output)
    assert data["config_file"] == str(config_file.resolve())
    assert data["plugins"]["probe"]["api_token"] == "**********"
    assert "hunter2" not in as_json.output


def test_secret_in_the_file_is_masked_too(tmp_path):
    cfg = tmp_path / "patron.toml"
    cfg.write_text('[patron]\nplugins = ["probe"]\n[plugins.probe]\napi_token = "file-secret"\n')
    for args in (("config", "show"), ("plugins", "info", "probe"), ("plugins", "info", "probe", "--json")):
        result = invoke("--config", str(cfg), *args)
        assert result.exit_code == 0, result.output
        assert "file-secret" not in result.output


# -- plugins list / info ---------------------------------------------------------------------


def test_plugins_list_shows_installed_vs_enabled_with_versions_and_hooks(config_file):
    config_file.write_text(COMMENTED.replace("plugins = []", 'plugins = ["probe"]'))
    result = invoke("--config", str(config_file), "plugins", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("[on ] core ") and "patron 0.1.0" in line for line in lines)
    assert any(line.startswith("[on ] probe ") and "patron-probe 0.1.0" in line for line in lines)
    assert any(line.startswith("[off] broken_import ") and "patron-broken 0.0.1" in line for line in lines)
    assert "hooks: patron_audiences, patron_channels, patron_cli_commands" in result.output


def test_plugins_list_json_and_hook_filter(config_file):
    config_file.write_text(COMMENTED.replace("plugins = []", 'plugins = ["probe"]'))
    rows = json.loads(invoke("--config", str(config_file), "plugins", "list", "--json").output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["probe"]["enabled"] and by_name["probe"]["version"] == "0.1.0"
    assert "patron_customer_erase" in by_name["probe"]["hooks"]
    assert by_name["broken_hook"] == {**by_name["broken_hook"], "enabled": False, "loaded": False, "hooks": None}
    filtered = json.loads(
        invoke("--config", str(config_file), "plugins", "list", "--hook", "patron_reports", "--json").output
    )
    # Only loaded plugins implement hooks: the probe (and maybe the core), never a disabled plugin.
    assert {r["name"] for r in filtered} - {"core"} == {"probe"}
    migrations = invoke("--config", str(config_file), "plugins", "list", "--hook", "patron_migrations")
    assert "core" in migrations.output and "probe" in migrations.output and "broken" not in migrations.output
    none = invoke("--config", str(config_file), "plugins", "list", "--hook", "patron_nothing")
    assert none.output.strip() == "No plugins found."


@pytest.mark.slow
def test_listing_never_imports_a_disabled_plugin(config_file):
    import subprocess
    import sys

    code = (
        "import sys\nfrom patron.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('patron_broken', 'patron_probe'))))"
    )
    for args in (["plugins", "list"], ["plugins", "list", "--json"], ["plugins", "info", "broken_hook"]):
        result = subprocess.run(
            [sys.executable, "-c", code, "--config", str(config_file), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "broken_hook" in result.stdout
        assert result.stdout.splitlines()[-1] == "[]"


def test_plugins_info(config_file):
    config_file.write_text(COMMENTED.replace("plugins = []", 'plugins = ["probe"]'))
    data = json.loads(invoke("--config", str(config_file), "plugins", "info", "probe", "--json").output)
    assert data["distribution"] == "patron-probe" and data["settings"]["greeting"] == "ahoy"
    assert data["contributions"]["reports"] == ["probe-notes"]
    text = invoke("--config", str(config_file), "plugins", "info", "broken_import").output
    assert "enabled: False" in text and "distribution: patron-broken" in text
    missing = invoke("--config", str(config_file), "plugins", "info", "nosuch")
    assert missing.exit_code == 7
    assert 'no plugin "nosuch" is installed; installed: broken_config' in missing.output


# -- plugins enable / disable --------------------------------------------------------------------


def test_enable_and_disable_keep_comments_and_layout(config_file):
    result = invoke("--config", str(config_file), "plugins", "enable", "probe")
    assert result.exit_code == 0, result.output
    assert "Enabled probe" in result.output
    after_enable = config_file.read_text()
    assert after_enable == COMMENTED.replace("plugins = []", 'plugins = ["probe"]')
    result = invoke("--config", str(config_file), "plugins", "disable", "probe")
    assert result.exit_code == 0, result.output
    assert config_file.read_text() == COMMENTED


@pytest.mark.parametrize(
    ("names", "code", "expected"),
    [
        (["nosuch"], 4, "not installed: nosuch. Installed plugins: broken_config, broken_contract"),
        (["broken_requires"], 4, "requires 'probe', which is not enabled"),
        (["broken_config"], 3, "plugins.broken_config.endpoint: Field required"),
        (["broken_hook"], 4, "implements a hook that does not exist"),
        (["broken_import"], 4, "No module named 'patron_broken_missing_dependency'"),
    ],
)
def test_enable_refuses_bad_names_and_combinations_without_touching_the_file(config_file, names, code, expected):
    result = invoke("--config", str(config_file), "plugins", "enable", *names)
    assert result.exit_code == code
    assert expected in result.output
    assert config_file.read_text() == COMMENTED


def test_disable_refuses_what_is_not_enabled_and_what_others_require(config_file):
    result = invoke("--config", str(config_file), "plugins", "disable", "probe")
    assert result.exit_code == 4 and "not enabled in" in result.output and "probe" in result.output
    config_file.write_text(COMMENTED.replace("plugins = []", 'plugins = ["probe", "broken_requires"]'))
    before = config_file.read_text()
    result = invoke("--config", str(config_file), "plugins", "disable", "probe")
    assert result.exit_code == 4
    assert 'plugin "broken_requires" requires probe; disable "broken_requires" too' in result.output
    assert config_file.read_text() == before
    assert invoke("--config", str(config_file), "plugins", "disable", "probe", "broken_requires").exit_code == 0
    assert config_file.read_text() == COMMENTED


def test_edits_write_the_file_not_the_environment_override(config_file):
    result = invoke("--config", str(config_file), "plugins", "enable", "probe", env={"PATRON_PLUGINS": "broken_import"})
    assert result.exit_code == 0, result.output
    assert 'plugins = ["probe"]' in config_file.read_text()


@pytest.mark.parametrize("plugin", ["broken_import", "broken_hook", "broken_contract", "broken_manifest"])
def test_a_broken_plugin_can_still_be_disabled(tmp_path, plugin, capsys):
    cfg = tmp_path / "patron.toml"
    cfg.write_text(f'# keep me\n[patron]\nplugins = ["{plugin}"]\n')
    # main() warns, offers the core's commands, and the repair works.
    with pytest.raises(SystemExit) as done:
        main(["--config", str(cfg), "plugins", "disable", plugin])
    assert done.value.code == 0
    captured = capsys.readouterr()
    assert f'"{plugin}"' in captured.err and "only the core's commands are available" in captured.err
    assert cfg.read_text() == "# keep me\n[patron]\nplugins = []\n"


def test_commands_that_need_the_broken_plugin_fail_with_its_error(tmp_path):
    cfg = tmp_path / "patron.toml"
    cfg.write_text('[patron]\nplugins = ["broken_import"]\n')
    result = invoke("--config", str(cfg), "db", "status")
    assert result.exit_code == PluginError.exit_code
    assert 'Error: Error loading plugin "broken_import"' in result.output


def test_a_missing_explicit_config_is_reported(tmp_path):
    result = invoke("--config", str(tmp_path / "none.toml"), "config", "show")
    assert result.exit_code == 3
    assert "none.toml (from --config) does not exist" in result.output


# -- db --------------------------------------------------------------------------------------------


def test_db_upgrade_and_status_on_both_databases(make_patron_app, patron_cli, patron_db_url):
    app = make_patron_app(migrate=False)
    behind = patron_cli(app, "db", "status")
    assert behind.exit_code == 1
    assert "core" in behind.output and "PENDING: run 'patron db upgrade'" in behind.output
    upgraded = patron_cli(app, "db", "upgrade")
    assert upgraded.exit_code == 0 and "core: at core_" in upgraded.output
    status = json.loads(patron_cli(app, "db", "status", "--json").output)
    assert [s["branch"] for s in status] == ["core"]
    assert status[0]["up_to_date"] and status[0]["current"] == status[0]["heads"] and status[0]["heads"]
    # Enabling a plugin with tables leaves its branch pending until the next upgrade.
    assert patron_cli(app, "plugins", "enable", "probe").exit_code == 0
    pending = patron_cli(app, "db", "status")
    assert pending.exit_code == 1 and "probe" in pending.output
    assert patron_cli(app, "db", "upgrade").exit_code == 0
    assert "probe_notes" in tables(patron_db_url)
    assert patron_cli(app, "db", "status").exit_code == 0
    # Upgrading an up-to-date database is a no-op.
    assert patron_cli(app, "db", "upgrade").exit_code == 0


# -- the probe plugin's own command group ---------------------------------------------------------


def test_probe_command_runs_with_its_validated_config(make_patron_app, patron_cli, patron_factory):
    app = make_patron_app(plugins=["probe"], config={"probe": {"greeting": "hej", "repeat": 2}})
    assert patron_cli(app, "probe", "hello").output == "hej from probe\nhej from probe\n"
    patron_factory(app).customer()
    assert patron_cli(app, "probe", "count").output == "customers_upserted: 1\n"


def test_probe_command_refuses_invalid_config(make_patron_app, patron_cli):
    app = make_patron_app(plugins=["probe"])
    app.settings.path.write_text(app.settings.path.read_text() + "[plugins.probe]\nrepeat = 0\n")
    result = patron_cli(app, "probe", "hello")
    assert result.exit_code == 3
    assert "plugins.probe.repeat: Input should be greater than or equal to 1" in result.output
    assert str(app.settings.path) in result.output


def test_probe_table_comes_from_its_own_migration_branch(make_patron_app, patron_db_url):
    app = make_patron_app(plugins=["probe"])
    branches = {b.name: b.version_table for b in app.migration_branches()}
    assert branches == {"core": "patron_version_core", "probe": "patron_version_probe"}
    with app.engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT version_num FROM patron_version_probe")).scalar() == "probe_0001"
        assert conn.execute(text("SELECT version_num FROM patron_version_core")).scalar().startswith("core_")


def test_event_hook_writes_inside_the_callers_transaction(make_patron_app, patron_factory):
    from patron.ingest import upsert_customers
    from patron.models import Customer
    from patron_probe.models import ProbeNote

    app = make_patron_app(plugins=["probe"])
    with app.transaction() as session:
        upsert_customers(app, session, [{"external_id": "x", "name": "X"}])
        # The hook's write is visible in the same transaction, before commit...
        assert session.scalar(select(func.count()).select_from(ProbeNote)) == 1
        session.rollback()
    # ...and rolled back with it.
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProbeNote)) == 0
        assert session.scalar(select(func.count()).select_from(Customer)) == 0


def test_trace_hooks_switch_prints_the_clis_hook_calls(config_file, monkeypatch, capsys):
    config_file.write_text(COMMENTED.replace("plugins = []", 'plugins = ["probe"]'))
    monkeypatch.setenv("PATRON_TRACE_HOOKS", "1")
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config_file), "probe", "hello"])
    assert done.value.code == 0
    captured = capsys.readouterr()
    assert captured.out == "ahoy from probe\n"
    assert "[patron hook] patron_cli_commands(cli) -> [core, probe]" in captured.err
    assert "[patron hook] patron_config_model() -> [probe]" in captured.err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////nonexistent-patron-dir/x.db", "unable to open database file"),
        ("postgresql://crm:hunter2@127.0.0.1:1/crm", "Connection refused"),
    ],
)
def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path, url, expected):
    cfg = tmp_path / "patron.toml"
    cfg.write_text(f'[patron]\ndatabase_url = "{url}"\n')
    result = invoke("--config", str(cfg), "db", "status")
    assert result.exit_code == 5
    assert result.output.startswith("Error: cannot use the database ")
    assert f"(set in {cfg.resolve()})" in result.output and expected in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_a_missing_table_says_to_upgrade(make_patron_app, patron_cli):
    app = make_patron_app(plugins=["probe"], migrate=False)
    result = patron_cli(app, "probe", "count")
    assert result.exit_code == 5
    assert "lacks a table" in result.output and "probe_notes" in result.output
    assert result.output.rstrip().endswith("run 'patron db upgrade'")
