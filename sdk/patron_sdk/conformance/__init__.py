"""The contract conformance suite: reusable tests any Patron plugin turns on with one line.

In a plugin's tests::

    from patron_sdk.conformance import conformance_tests

    TestConformance = conformance_tests("myplugin")

pytest then runs one test per contract rule (``test_rule[sqlite-report-read-only]``
…), on SQLite and, when ``$PATRON_TEST_POSTGRES_URL`` is set, on PostgreSQL. The
app is built once per backend for the class: the plugin enabled, its database
migrated and seeded with customers and purchases. A failure names the rule,
what the contract requires and how to fix it.

``check_plugin(ctx)`` runs the same rules without pytest and returns the
violations, for tools and for tests of the suite itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from patron_sdk.conformance import contributions as _contributions  # noqa: F401  (registers the rules)
from patron_sdk.conformance.context import AS_OF, ConformanceContext, seed_data
from patron_sdk.conformance.rules import RULES, Rule, Violation, check_plugin, run_rule

if TYPE_CHECKING:
    from patron.app import App

__all__ = [
    "AS_OF",
    "RULES",
    "ConformanceContext",
    "Rule",
    "Violation",
    "build_context",
    "check_plugin",
    "conformance_tests",
    "format_violations",
    "run_rule",
    "seed_data",
]


def format_violations(violations: Iterable[Violation]) -> str:
    """The text pytest shows for failed rules."""
    return "\n".join(str(v) for v in violations)


def build_context(
    database_url: str,
    folder: Any,
    plugin: str,
    *,
    inline: object | None = None,
    plugins: Iterable[str] = (),
    config: Mapping[str, Mapping[str, Any]] | None = None,
    channel_template: str = "conformance",
) -> ConformanceContext:
    """Build an app on ``database_url`` (config in ``folder``) with ``plugin`` and prepare it.

    ``inline``: an object with hookimpls registered as ``plugin`` instead of the
    installed entry point (for plugins under construction and for tests of the suite).
    Migration errors are kept on the context (rule ``migrations-upgrade`` reports them).
    """
    from pathlib import Path

    from patron.app import App
    from patron.config import load_settings
    from patron_sdk.pytest_plugin import register_inline, render_config

    config = dict(config or {})
    inline_section = config.pop(plugin, {}) if inline is not None else None
    enabled = [*plugins] if inline is not None else [*plugins, plugin]
    path = Path(folder) / "patron.toml"
    path.write_text(render_config(database_url, enabled, config), encoding="utf-8")
    app = App(load_settings(path, env={}))
    if inline is not None:
        register_inline(app, inline, plugin)
        _validate_inline_config(app, plugin, inline_section or {})
    ctx = ConformanceContext(app, plugin, channel_template=channel_template)
    try:
        app.upgrade_database()
    except Exception as exc:
        # Whatever a plugin's migration raises is what rule migrations-upgrade must show.
        ctx.upgrade_error = exc
        return ctx
    ctx.customer_ids = seed_data(app)
    return ctx


def _validate_inline_config(app: App, plugin: str, section: Mapping[str, Any]) -> None:
    from pydantic import BaseModel

    from patron.errors import PluginError

    try:
        model = app.config_model_of(plugin)
    except PluginError:
        return  # an unresolvable MANIFEST.config_model: rule config-defaults reports it
    if isinstance(model, type) and issubclass(model, BaseModel):
        try:
            app.plugin_configs[plugin] = model.model_validate(section)
        except ValueError:
            # Required fields without defaults: rule config-defaults reports it.
            app.plugin_configs[plugin] = None


def conformance_tests(
    plugin: str,
    *,
    inline: object | None = None,
    plugins: Iterable[str] = (),
    config: Mapping[str, Mapping[str, Any]] | None = None,
    backends: Iterable[str] | None = None,
    skip: Mapping[str, str] | None = None,
    channel_template: str = "conformance",
) -> type:
    """Return a pytest test class checking ``plugin`` against every contract rule.

    :param plugin: the plugin's entry-point name (it must be installed).
    :param inline: check this object (module or instance with hookimpls) as ``plugin`` instead.
    :param plugins: other plugins to enable alongside (e.g. those it requires).
    :param config: ``[plugins.<name>]`` sections, by plugin name.
    :param backends: ``("sqlite", "postgresql")`` by default.
    :param skip: rule id → reason, for a rule that does not apply (shown as a skip).
    :param channel_template: the template name channels are asked to send in the dry run.
    """
    from patron_sdk.pytest_plugin import BACKENDS, database_urls

    chosen = tuple(backends) if backends is not None else BACKENDS
    skipped = dict(skip or {})
    unknown = set(skipped) - {r.id for r in RULES}
    if unknown:
        raise ValueError(
            f"conformance_tests(skip=...): unknown rule(s) {sorted(unknown)}; known: {', '.join(r.id for r in RULES)}"
        )
    extra = tuple(plugins)

    class TestConformance:
        """Contract conformance of one plugin (generated by ``conformance_tests``)."""

        @pytest.fixture(scope="class", params=chosen)
        @classmethod
        def conformance(
            cls, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[ConformanceContext]:
            folder = tmp_path_factory.mktemp(f"conformance-{plugin}")
            for url in database_urls(request.param, folder, request.node):
                ctx = build_context(
                    url, folder, plugin, inline=inline, plugins=extra, config=config, channel_template=channel_template
                )
                try:
                    yield ctx
                finally:
                    ctx.app.dispose()

        @pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
        def test_rule(self, conformance: ConformanceContext, rule: Rule) -> None:
            if rule.id in skipped:
                pytest.skip(f"rule {rule.id} skipped: {skipped[rule.id]}")
            violations = run_rule(conformance, rule)
            if violations:
                pytest.fail(format_violations(violations), pytrace=False)

    TestConformance.__qualname__ = TestConformance.__name__ = f"TestConformance_{plugin}"
    return TestConformance
