"""pytest fixtures for testing Patron and its plugins (loaded through the ``pytest11`` entry point).

Fixtures:

- ``patron_db_url``: a fresh, empty database per test. Parametrised over
  ``sqlite`` and ``postgresql``; the PostgreSQL case uses the server named by
  ``$PATRON_TEST_POSTGRES_URL`` (a new database is created for each test and
  dropped after). Without that variable the PostgreSQL case is skipped, except
  under ``CI=true``, where it fails: CI never silently skips PostgreSQL.
- ``make_patron_app(plugins=(), config=None, migrate=True)``: an ``App`` with the
  given plugins enabled and ``[plugins.<name>]`` sections, on ``patron_db_url``,
  its ``patron.toml`` written in a temporary folder (``app.settings.path``).
- ``patron_app``: ``make_patron_app()`` with no plugins.
- ``patron_cli``: ``patron_cli(app, *args)`` runs the ``patron`` CLI against that
  app's config and returns click's ``Result``.
- ``patron_inline_plugin``: ``patron_inline_plugin(app, obj, name)`` registers an
  object (module, class instance) with hookimpls for this test only.
- ``patron_factory``: ``patron_factory(app)`` gives ``customer(...)`` and
  ``interaction(...)`` helpers that write through the core's ingest API.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from click.testing import Result

    from patron.app import App

POSTGRES_ENV = "PATRON_TEST_POSTGRES_URL"
#: How to run them, wherever the tests are (a plugin's own folder has no Makefile).
POSTGRES_HINT = (
    f"to run them, set {POSTGRES_ENV} to a server where tests may create databases, e.g. "
    "postgresql://user:password@127.0.0.1:5432/postgres; in the Patron checkout 'make test' does it"
)
BACKENDS = ("sqlite", "postgresql")
#: The ``[patron] secret_key`` of every test app: fixed, so pseudonyms are reproducible in tests.
TEST_SECRET_KEY = "patron-test-secret-key-not-for-production"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: run this test on SQLite only")


@pytest.fixture(params=BACKENDS)
def patron_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database, once per backend."""
    yield from database_urls(request.param, tmp_path, request.node)


def database_urls(backend: str, folder: Path, node: pytest.Item | pytest.Collector | None = None) -> Iterator[str]:
    """Yield one fresh database URL for ``backend`` (the database is dropped after).

    Skips (or, under ``CI``, fails) the PostgreSQL case when ``$PATRON_TEST_POSTGRES_URL``
    is not set. Shared by ``patron_db_url`` and the conformance suite's class-scoped app.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'patron.db'}"
        return
    if node is not None and node.get_closest_marker("sqlite_only"):
        pytest.skip("marked sqlite_only")
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        if os.environ.get("CI"):
            pytest.fail(f"${POSTGRES_ENV} is not set under CI: PostgreSQL tests must run ({POSTGRES_HINT})")
        pytest.skip(f"${POSTGRES_ENV} not set: PostgreSQL tests skipped ({POSTGRES_HINT})")
    yield from _postgres_database(server)


def _postgres_database(server: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from patron.db import normalize_url

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalize_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(normalize_url(server)).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def make_patron_app(patron_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., App]]:
    """Factory: ``make_patron_app(plugins=(), config=None, migrate=True) -> App``."""
    from patron.app import App
    from patron.config import load_settings

    apps: list[App] = []

    def make(
        plugins: Sequence[str] = (), config: Mapping[str, Mapping[str, Any]] | None = None, migrate: bool = True
    ) -> App:
        folder = tmp_path_factory.mktemp("patron-app")
        path = folder / "patron.toml"
        path.write_text(render_config(patron_db_url, plugins, config or {}), encoding="utf-8")
        app = App(load_settings(path, env={}))
        apps.append(app)
        if migrate:
            app.upgrade_database()
        return app

    yield make
    for app in apps:
        app.dispose()


@pytest.fixture
def patron_app(make_patron_app: Callable[..., App]) -> App:
    """An app with no plugins on a fresh, migrated database."""
    return make_patron_app()


@pytest.fixture
def patron_cli() -> Callable[..., Result]:
    """Run the CLI against an app's config: ``patron_cli(app, "report", "list")``."""
    from click.testing import CliRunner

    from patron.cli import build_cli

    def run(app: App, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> Result:
        argv = ["--config", str(app.settings.path), *args]
        runner = CliRunner()
        with _environ(env or {}):
            return runner.invoke(build_cli(argv), argv, input=input, catch_exceptions=False)

    return run


@pytest.fixture
def patron_inline_plugin() -> Iterator[Callable[..., Any]]:
    """Register an object with hookimpls on an app for this test: ``(app, obj, name="inline")``."""
    registered: list[tuple[App, str]] = []

    def register(app: App, plugin: object, name: str = "inline") -> object:
        register_inline(app, plugin, name)
        registered.append((app, name))
        return plugin

    yield register
    for app, name in registered:
        unregister_inline(app, name)


def register_inline(app: App, plugin: object, name: str = "inline") -> None:
    """Register ``plugin`` (an object with hookimpls) on ``app`` under ``name``, as if enabled."""
    from patron.manifest import PluginManifest
    from patron.registry import PluginInfo

    app.pm.register(plugin, name=name)
    app.pm.check_pending()
    manifest = getattr(plugin, "MANIFEST", None) or PluginManifest(name=name, contract="1.0")
    app.pm.infos[name] = PluginInfo(name, plugin, manifest, "inline", "0")  # type: ignore[arg-type]
    app.reset_contributions()


def unregister_inline(app: App, name: str) -> None:
    """Undo ``register_inline``."""
    app.pm.unregister(name=name)
    app.pm.infos.pop(name, None)
    app.reset_contributions()


class Factory:
    """Create customers and interactions through the core's ingest API (events fire)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._n = 0

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def customer(self, **fields: Any) -> int:
        """Insert one customer; returns its id. Defaults: a unique external_id, a name."""
        from patron.ingest import upsert_customers

        ext = fields.pop("external_id", None) or self._next("cust")
        row = {"external_id": ext, "name": fields.pop("name", f"Customer {ext}"), **fields}
        with self.app.transaction() as session:
            result = upsert_customers(self.app, session, [row])
        return (result.inserted_ids or result.updated_ids)[0]

    def interaction(self, customer_id: int, **fields: Any) -> int | None:
        """Record one interaction (default: a purchase of 10.00 EUR now); returns its id."""
        from datetime import UTC, datetime

        from patron.ingest import record_interactions

        row = {
            "external_id": fields.pop("external_id", None) or self._next("int"),
            "customer_id": customer_id,
            "kind": fields.pop("kind", "purchase"),
            "occurred_at": fields.pop("occurred_at", datetime.now(UTC)),
            "amount_minor": fields.pop("amount_minor", 1000),
            "currency": fields.pop("currency", "EUR"),
            **fields,
        }
        with self.app.transaction() as session:
            ids = record_interactions(self.app, session, [row])
        return ids[0] if ids else None


@pytest.fixture
def patron_factory() -> Callable[[App], Factory]:
    """``patron_factory(app)`` → a ``Factory`` for that app."""
    return Factory


def render_config(database_url: str, plugins: Sequence[str], sections: Mapping[str, Mapping[str, Any]]) -> str:
    """The text of a patron.toml for tests."""
    import json

    lines = [
        "[patron]",
        f"database_url = {json.dumps(database_url)}",
        f"plugins = {json.dumps(list(plugins))}",
        # Erasure keys its pseudonyms with the installation's secret ('patron init' writes one).
        f"secret_key = {json.dumps(TEST_SECRET_KEY)}",
    ]
    for name, section in sections.items():
        lines.append(f"[plugins.{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in section.items())
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)


class _environ:
    """Set environment variables for the duration of a CLI call."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for key, value in self.values.items():
            self.saved[key] = os.environ.get(key)
            os.environ[key] = value

    def __exit__(self, *exc: object) -> None:
        for key, old in self.saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
