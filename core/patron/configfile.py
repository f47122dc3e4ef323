"""Writing ``patron.toml``: the commented template of ``patron init`` and in-place edits.

Edits go through tomlkit, which keeps the file's comments, order and layout, so
``patron plugins enable`` never destroys what an admin wrote by hand. Every
write goes to a temporary file that replaces the original atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from patron.errors import ConfigError

TEMPLATE = """\
# Patron configuration. Reference: README.md, "Configuration".
# Environment variables override: PATRON_DATABASE_URL, PATRON_PLUGINS,
# PATRON_PLUGINS__<NAME>__<KEY> (e.g. secrets such as an SMTP password).

[patron]
# SQLAlchemy URL. A relative SQLite path is relative to this file's folder.
# PostgreSQL: "postgresql://user:password@host:5432/dbname" (pip install 'patron[postgresql]').
database_url = "{database_url}"

# Plugins to load, by entry-point name; 'patron plugins list' shows what is installed.
plugins = [{plugins}]

# This installation's secret: keys the pseudonyms of erased customers (and signs links).
# Keep this file private (mode 0600) and out of version control, or move the key to
# $PATRON_SECRET_KEY. Rotation: move the old key to previous_secret_keys = ["..."].
# Losing it makes erased customers' former ids unrecognisable to later imports.
secret_key = "{secret_key}"

# Each plugin's settings go in a section of its own, for example:
# [plugins.loyalty]
# points_per_unit = 1
"""


def new_secret_key() -> str:
    """A fresh installation secret (256 bits, URL-safe text)."""
    import secrets

    return secrets.token_urlsafe(32)


def render_template(database_url: str, plugins: Sequence[str], secret_key: str | None = None) -> str:
    """The text of a new, commented ``patron.toml`` (with a fresh secret key unless one is given)."""
    return TEMPLATE.format(
        database_url=database_url.replace("\\", "\\\\").replace('"', '\\"'),
        plugins=", ".join(f'"{p}"' for p in plugins),
        secret_key=secret_key or new_secret_key(),
    )


def add_secret_key(path: Path) -> bool:
    """Give ``path`` a ``[patron] secret_key`` when it has none; return True when one was added."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the file and run again") from exc
    core = document.get("patron")
    if core is None:
        core = tomlkit.table()
        document["patron"] = core
    if core.get("secret_key"):
        return False
    core["secret_key"] = new_secret_key()
    core["secret_key"].comment("keys erased customers' pseudonyms; keep this file private")
    write_atomic(path, tomlkit.dumps(document))
    return True


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash never leaves a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_enabled_plugins(path: Path, plugins: Sequence[str]) -> None:
    """Set ``[patron] plugins`` in ``path`` to ``plugins``, keeping everything else as written."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the file and run again") from exc
    core = document.get("patron")
    if core is None:
        core = tomlkit.table()
        document["patron"] = core
    old = core.get("plugins")
    if isinstance(old, tomlkit.items.Array):
        # Edit the array in place, so comments and line breaks inside it survive.
        for index in reversed(range(len(old))):
            if old[index] not in plugins:
                del old[index]
        for name in plugins:
            if name not in old:
                old.append(name)
    if not isinstance(old, tomlkit.items.Array) or list(old) != list(plugins):
        array = tomlkit.array()
        array.extend(plugins)
        if old is not None and hasattr(old, "trivia"):
            array.trivia.comment = old.trivia.comment
        core["plugins"] = array
    write_atomic(path, tomlkit.dumps(document))
