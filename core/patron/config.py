"""Settings: ``patron.toml`` plus environment overrides, validated.

Reading stays cheap (stdlib ``tomllib``, no pydantic) because every CLI start,
``patron --help`` included, needs the list of enabled plugins. Plugin sections
are validated later, by each plugin's own pydantic model, when the app is built
(``patron.app``).

Where the file is found, first match wins: ``--config PATH``, ``$PATRON_CONFIG``,
``./patron.toml``. Without a file the defaults apply.

Environment overrides:

- ``PATRON_DATABASE_URL`` replaces ``[patron] database_url``;
- ``PATRON_PLUGINS`` (comma-separated) replaces ``[patron] plugins``;
- ``PATRON_LOAD_PLUGINS`` (comma-separated, may be empty) replaces the enabled
  list for this process only: ``PATRON_LOAD_PLUGINS=""`` starts with no plugins,
  the escape hatch when a broken plugin keeps the CLI from starting;
- ``PATRON_SECRET_KEY``, ``PATRON_PREVIOUS_SECRET_KEYS`` (comma-separated),
  ``PATRON_BASE_URL`` and ``PATRON_ADMIN_TOKEN`` replace the ``[patron]`` keys of
  the same names (signed links and ``patron serve``; see ``patron.links``);
- ``PATRON_PLUGINS__<NAME>__<KEY>=value`` sets one key of ``[plugins.<name>]``
  (the value is read as a TOML value when it parses as one, else as a string),
  the place for secrets such as SMTP passwords.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patron.errors import ConfigError

CONFIG_FILENAME = "patron.toml"
DEFAULT_DATABASE_URL = "sqlite:///patron.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
CORE_KEYS = {"database_url", "plugins", "secret_key", "previous_secret_keys", "base_url", "admin_token"}
#: ``[patron]`` keys that are secrets: never printed, masked by ``patron config show``.
SECRET_KEYS = ("secret_key", "previous_secret_keys", "admin_token")
PLUGIN_ENV_PATTERN = re.compile(r"^PATRON_PLUGINS__([A-Za-z0-9_]+)__([A-Za-z0-9_]+)$")


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one Patron process.

    :param path: the config file read, or None when running on defaults.
    :param database_url: the SQLAlchemy URL, relative SQLite paths already made
        relative to the config file's folder.
    :param plugins: the enabled plugin names, in the order given.
    :param plugin_sections: raw ``[plugins.<name>]`` tables (validated later).
    :param origins: for messages: where ``database_url``, ``plugins`` and each
        plugin key set from the environment (``plugins.<name>.<key>``) came from.
    :param secret_key: the key that signs links (``patron.links``); None: links are off.
    :param previous_secret_keys: older keys still accepted when verifying (rotation).
    :param base_url: the public address of ``patron serve``, used to build links.
    :param admin_token: the token that opens the admin pages of ``patron serve``; None: they are off.
    """

    path: Path | None
    database_url: str
    plugins: tuple[str, ...]
    plugin_sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)
    secret_key: str | None = field(default=None, repr=False)
    previous_secret_keys: tuple[str, ...] = field(default=(), repr=False)
    base_url: str = DEFAULT_BASE_URL
    admin_token: str | None = field(default=None, repr=False)

    def origin(self, key: str) -> str:
        """Say where ``key`` was set, e.g. ``"/srv/crm/patron.toml"`` or ``"$PATRON_PLUGINS"``."""
        return self.origins.get(key, "the built-in defaults")


def find_config(
    explicit: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Path | None:
    """Return the config file to use, or None when there is none.

    An explicitly named file (argument or ``$PATRON_CONFIG`` in ``env``, by
    default the process environment) must exist.
    """
    env = os.environ if env is None else env
    named = explicit if explicit is not None else env.get("PATRON_CONFIG") or None
    if named is not None:
        path = Path(named)
        if not path.is_file():
            source = "--config" if explicit is not None else "$PATRON_CONFIG"
            raise ConfigError(
                f"config file {path} (from {source}) does not exist; create it with "
                f"'patron init' or point {source} at an existing file"
            )
        return path.resolve()
    candidate = (cwd or Path.cwd()) / CONFIG_FILENAME
    return candidate.resolve() if candidate.is_file() else None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; errors name the file, line and column."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line L, column C)".
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the file and run again") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def load_settings(
    config: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Find, read and check the configuration; apply environment overrides."""
    env = os.environ if env is None else env
    path = find_config(config, cwd, env)
    data: dict[str, Any] = read_toml(path) if path else {}
    where = str(path) if path else "the built-in defaults"

    unknown = set(data) - {"patron", "plugins"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown table(s) {', '.join(sorted(unknown))}; only [patron] and [plugins.<name>] are allowed"
        )
    core = _table(data, "patron", where)
    bad = set(core) - CORE_KEYS
    if bad:
        raise ConfigError(
            f"{where}: unknown key(s) in [patron]: {', '.join(sorted(bad))}; allowed: {', '.join(sorted(CORE_KEYS))}"
        )
    origins: dict[str, str] = {}

    database_url = core.get("database_url", DEFAULT_DATABASE_URL)
    if "database_url" in core:
        origins["database_url"] = where
    if env.get("PATRON_DATABASE_URL"):
        database_url = env["PATRON_DATABASE_URL"]
        origins["database_url"] = "$PATRON_DATABASE_URL"
    if not isinstance(database_url, str) or not database_url.strip():
        raise ConfigError(f"{origins.get('database_url', where)}: patron.database_url must be a non-empty string")

    plugins_value: Any = core.get("plugins", [])
    if "plugins" in core:
        origins["plugins"] = where
    for var in ("PATRON_PLUGINS", "PATRON_LOAD_PLUGINS"):
        if var in env and (var == "PATRON_LOAD_PLUGINS" or env[var]):
            plugins_value = [p.strip() for p in env[var].split(",") if p.strip()]
            origins["plugins"] = f"${var}"
    plugins = _plugin_list(plugins_value, origins.get("plugins", where))

    sections = {
        name: dict(_table(data.get("plugins", {}), name, where, prefix="plugins."))
        for name in _table(data, "plugins", where)
    }
    for key, value in env.items():
        match = PLUGIN_ENV_PATTERN.match(key)
        if match:
            name, option = match.group(1).lower(), match.group(2).lower()
            sections.setdefault(name, {})[option] = _env_value(value)
            origins[f"plugins.{name}.{option}"] = f"${key}"

    web = _web_keys(core, env, where, origins)
    base = path.parent if path else (cwd or Path.cwd())
    return Settings(
        path=path,
        database_url=resolve_sqlite_path(database_url, base),
        plugins=plugins,
        plugin_sections=sections,
        origins=origins,
        **web,
    )


def _web_keys(core: Mapping[str, Any], env: Mapping[str, str], where: str, origins: dict[str, str]) -> dict[str, Any]:
    """The signed-link and web keys of ``[patron]``, environment first; checked, never echoed."""
    values: dict[str, Any] = {}
    for key in ("secret_key", "base_url", "admin_token"):
        var = f"PATRON_{key.upper()}"
        value = env[var] if env.get(var) else core.get(key)
        source = f"${var}" if env.get(var) else where
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{source}: patron.{key} must be a non-empty string")
        origins[key] = source
        values[key] = value.strip()
    if "base_url" in values and not re.match(r"^https?://[^/\s]+", values["base_url"]):
        raise ConfigError(
            f"{origins['base_url']}: patron.base_url must be an http(s) URL such as https://crm.example.com"
        )
    previous: Any = core.get("previous_secret_keys", [])
    source = where
    if env.get("PATRON_PREVIOUS_SECRET_KEYS"):
        previous = [k.strip() for k in env["PATRON_PREVIOUS_SECRET_KEYS"].split(",") if k.strip()]
        source = "$PATRON_PREVIOUS_SECRET_KEYS"
    if not isinstance(previous, list) or not all(isinstance(k, str) and k for k in previous):
        raise ConfigError(f"{source}: patron.previous_secret_keys must be a list of strings")
    if previous:
        origins["previous_secret_keys"] = source
        values["previous_secret_keys"] = tuple(previous)
    return values


def resolve_sqlite_path(url: str, base: Path) -> str:
    """Make a relative SQLite file path relative to ``base`` (the config file's folder)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and not rest.startswith(":memory:") and not Path(rest).is_absolute():
            return prefix + str((base / rest).resolve())
    return url


def mask_url(url: str) -> str:
    """Hide the password of a database URL, so it can be printed."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _table(data: Mapping[str, Any], key: str, where: str, prefix: str = "") -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{prefix}{key}] must be a table, not {type(value).__name__}")
    return value


def _plugin_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError(f'{where}: patron.plugins must be a list of plugin names, e.g. ["rfm", "loyalty"]')
    seen: list[str] = []
    for name in value:
        if name in seen:
            raise ConfigError(f"{where}: patron.plugins names {name!r} twice; list each plugin once")
        seen.append(name)
    return tuple(seen)


def _env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        # Not a TOML literal (e.g. a bare password): take it as the string it is.
        return raw
