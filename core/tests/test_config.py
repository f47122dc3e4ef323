"""Config: where patron.toml is found, environment overrides, and errors that say where and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.config import DEFAULT_DATABASE_URL, find_config, load_settings, mask_url
from patron.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- discovery -----------------------------------------------------------------


def test_explicit_path_wins_over_env_and_cwd(tmp_path):
    explicit = write(tmp_path / "a" / "patron.toml", '[patron]\nplugins = ["from_explicit"]\n')
    env_file = write(tmp_path / "b" / "patron.toml", '[patron]\nplugins = ["from_env"]\n')
    write(tmp_path / "patron.toml", '[patron]\nplugins = ["from_cwd"]\n')
    settings = load_settings(explicit, env={"PATRON_CONFIG": str(env_file)}, cwd=tmp_path)
    assert settings.path == explicit.resolve()
    assert settings.plugins == ("from_explicit",)


def test_env_var_wins_over_cwd(tmp_path):
    env_file = write(tmp_path / "b" / "patron.toml", '[patron]\nplugins = ["from_env"]\n')
    write(tmp_path / "patron.toml", '[patron]\nplugins = ["from_cwd"]\n')
    settings = load_settings(env={"PATRON_CONFIG": str(env_file)}, cwd=tmp_path)
    assert settings.plugins == ("from_env",)
    assert settings.origin("plugins") == str(env_file.resolve())


def test_cwd_file_is_found_and_defaults_apply_without_one(tmp_path):
    assert load_settings(env={}, cwd=tmp_path).path is None
    defaults = load_settings(env={}, cwd=tmp_path)
    assert defaults.plugins == ()
    assert defaults.database_url == f"sqlite:///{(tmp_path / 'patron.db').resolve()}"
    assert DEFAULT_DATABASE_URL == "sqlite:///patron.db"
    write(tmp_path / "patron.toml", '[patron]\nplugins = ["here"]\n')
    assert load_settings(env={}, cwd=tmp_path).plugins == ("here",)


@pytest.mark.parametrize("source", ["argument", "env"])
def test_a_named_config_file_must_exist(tmp_path, source):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as err:
        if source == "argument":
            find_config(missing, env={})
        else:
            load_settings(env={"PATRON_CONFIG": str(missing)}, cwd=tmp_path)
    message = str(err.value)
    assert str(missing) in message
    assert ("--config" if source == "argument" else "$PATRON_CONFIG") in message
    assert "patron init" in message


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path):
    cfg = write(tmp_path / "conf" / "patron.toml", '[patron]\ndatabase_url = "sqlite:///data/crm.db"\n')
    settings = load_settings(cfg, env={}, cwd=tmp_path)
    assert settings.database_url == f"sqlite:///{(tmp_path / 'conf' / 'data' / 'crm.db').resolve()}"


# -- environment overrides -------------------------------------------------------


def test_env_overrides_database_url_and_plugins(tmp_path):
    cfg = write(tmp_path / "patron.toml", '[patron]\ndatabase_url = "sqlite:///x.db"\nplugins = ["a"]\n')
    settings = load_settings(
        cfg, env={"PATRON_DATABASE_URL": "postgresql://u:p@h/db", "PATRON_PLUGINS": "b, c"}, cwd=tmp_path
    )
    assert settings.database_url == "postgresql://u:p@h/db"
    assert settings.plugins == ("b", "c")
    assert settings.origin("database_url") == "$PATRON_DATABASE_URL"
    assert settings.origin("plugins") == "$PATRON_PLUGINS"


def test_load_plugins_empty_starts_with_no_plugins(tmp_path):
    cfg = write(tmp_path / "patron.toml", '[patron]\nplugins = ["a", "b"]\n')
    assert load_settings(cfg, env={"PATRON_LOAD_PLUGINS": ""}).plugins == ()
    # An empty PATRON_PLUGINS, by contrast, is "not set".
    assert load_settings(cfg, env={"PATRON_PLUGINS": ""}).plugins == ("a", "b")


def test_plugin_key_override_from_env_is_typed_when_toml_and_a_string_otherwise(tmp_path):
    cfg = write(tmp_path / "patron.toml", '[plugins.probe]\ngreeting = "hi"\nrepeat = 1\n')
    env = {
        "PATRON_PLUGINS__PROBE__REPEAT": "3",
        "PATRON_PLUGINS__PROBE__API_TOKEN": "s3cr3t-with-{braces",
        "PATRON_PLUGINS__OTHER__FLAG": "true",
    }
    sections = load_settings(cfg, env=env).plugin_sections
    assert sections["probe"] == {"greeting": "hi", "repeat": 3, "api_token": "s3cr3t-with-{braces"}
    assert sections["other"] == {"flag": True}


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30))
def test_any_env_value_is_read_without_error(value):
    # Whatever an admin puts in the variable, it is read (as TOML or as the raw string), never a crash.
    load_settings(env={"PATRON_PLUGINS__P__K": value}, cwd=Path("/nonexistent-dir"))


@given(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_.@!-]{0,20}", fullmatch=True).filter(
        lambda v: v not in {"true", "false", "inf", "nan"}
    )
)
def test_a_bare_word_env_value_stays_the_string_given(value):
    sections = load_settings(env={"PATRON_PLUGINS__P__K": value}, cwd=Path("/nonexistent-dir")).plugin_sections
    assert sections["p"]["k"] == value


# -- errors name the file, the key path and the reason ---------------------------------


def test_invalid_toml_names_file_line_and_column(tmp_path):
    cfg = write(tmp_path / "patron.toml", '[patron]\nplugins = ["a",\ndatabase_url = \n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    message = str(err.value)
    assert str(cfg) in message and "invalid TOML" in message
    assert "line 3" in message and "column" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[patrn]\n", ["unknown table(s) patrn", "[patron]"]),
        (
            "[patron]\ndatabse_url = 'x'\n",
            ["unknown key(s) in [patron]: databse_url", "allowed: admin_token, base_url, database_url, plugins"],
        ),
        ("[patron]\nplugins = 'rfm'\n", ["patron.plugins must be a list"]),
        ("[patron]\nplugins = ['a', 'a']\n", ["patron.plugins names 'a' twice"]),
        ("[patron]\ndatabase_url = ''\n", ["patron.database_url must be a non-empty string"]),
        ("patron = 3\n", ["[patron] must be a table"]),
        ("[plugins]\nprobe = 3\n", ["[plugins.probe] must be a table"]),
    ],
)
def test_structural_errors_name_file_key_and_reason(tmp_path, text, expected):
    cfg = write(tmp_path / "patron.toml", text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env={})
    message = str(err.value)
    assert message.startswith(str(cfg))
    for part in expected:
        assert part in message


def test_plugin_section_errors_name_file_key_path_and_reason(make_patron_app):
    with pytest.raises(ConfigError) as err:
        make_patron_app(plugins=["probe"], config={"probe": {"repeat": 99, "colour": "red"}}, migrate=False)
    message = str(err.value)
    assert "patron.toml" in message
    assert 'plugin "probe" (patron-probe 0.1.0)' in message
    assert "plugins.probe.repeat: Input should be less than or equal to 10" in message
    assert "plugins.probe.colour: Extra inputs are not permitted" in message
    assert "patron plugins disable probe" in message


def test_a_section_for_a_plugin_without_settings_is_refused(make_patron_app):
    with pytest.raises(ConfigError, match=r"\[plugins.core\] has settings \(x\) but plugin \"core\" takes none"):
        make_patron_app(config={"core": {"x": 1}}, migrate=False)


# -- masking -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://patron:hunter2@db:5432/crm", "postgresql://patron:***@db:5432/crm"),
        ("postgresql+psycopg://u:p%40ss@localhost/x", "postgresql+psycopg://u:***@localhost/x"),
        ("postgresql://u@localhost/x", "postgresql://u@localhost/x"),
        ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
    ],
)
def test_mask_url_hides_only_the_password(url, masked):
    assert mask_url(url) == masked


def test_a_bad_value_from_the_environment_is_blamed_on_its_variable(make_patron_app, monkeypatch):
    app = make_patron_app(plugins=["probe"], migrate=False)
    from patron.app import App

    env = {"PATRON_PLUGINS__PROBE__REPEAT": "99", "PATRON_PLUGINS__PROBE__REP": "1"}
    with pytest.raises(ConfigError) as err:
        App(load_settings(app.settings.path, env=env))
    message = str(err.value)
    assert "plugins.probe.repeat (set by $PATRON_PLUGINS__PROBE__REPEAT): Input should be less than" in message
    assert "plugins.probe.rep (set by $PATRON_PLUGINS__PROBE__REP): Extra inputs are not permitted" in message
