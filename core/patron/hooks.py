"""The hook contract: every hook a Patron plugin may implement.

Hooks come in two families.

*Contributions* are called once, at start-up or when a command first needs them.
Most take a ``register`` callback (in the style of LLM's ``register_models``): the
core's callback validates what it is given, refuses a duplicate name with a
message naming both plugins, and remembers which plugin supplied what.

*Events* are called inside the database transaction (unit of work) that caused
them, with the SQLAlchemy ``session`` of that transaction. An event
implementation that raises rolls the whole unit back; the error names the
plugin. Events are batched: a bulk import calls them once per batch, never once
per row, so implementations must be set-based.

Call order, the same for every hook: pluggy's. Implementations are called
last-registered first (LIFO). The registry registers ``core`` first and then the
plugins in dependency order (a plugin after the plugins it requires or lists in
``after``, ties in the configured order), so by default the *last* enabled
plugin runs first, a plugin runs *before* the plugins it depends on, and the
core runs last. ``@hookimpl(tryfirst=True)`` moves an implementation to the
front, ``@hookimpl(trylast=True)`` to the back (each group keeps LIFO inside).
Every per-plugin call the core makes (events, contributions, jobs, export and
erase, reports and panels) goes through one function, ``App.call_each``, which
visits plugins in exactly this order and names the plugin in every error.

Hooks grow by adding keyword arguments; an implementation may accept any subset
of a spec's arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from patron import PROJECT_NAME

if TYPE_CHECKING:
    from datetime import datetime

    import click
    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import (
        Audience,
        AudienceFamily,
        Channel,
        ConsentChange,
        CustomerPanel,
        InteractionKind,
        Report,
        ScoringModel,
        TierScheme,
        WebRoute,
    )

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# ---------------------------------------------------------------------------
# Start-up: hooks that plugins add to the contract
# ---------------------------------------------------------------------------


@hookspec(historic=True)
def patron_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add this plugin's own hook specs (events other plugins may implement).

    Called once per plugin as it is registered, before the registry's
    ``check_pending``, so an implementation of a hook a plugin adds is checked
    against its spec: a misspelled one fails loudly. Historic: a plugin
    registered later is still called. Implementations in *other* plugins of a
    hook that only exists while its owner is enabled are marked
    ``@hookimpl(optionalhook=True)``, so disabling the owner does not break them.

    Call order: as each plugin is registered (``core`` first, then the plugins in
    dependency order), before any other hook of that plugin is called.

    :param pluginmanager: the plugin manager; call
        ``pluginmanager.add_hookspecs(module)`` with the module holding the specs.
    :return: nothing; every implementation is called.
    """


# ---------------------------------------------------------------------------
# Contributions: configuration and storage
# ---------------------------------------------------------------------------


@hookspec
def patron_config_model() -> type[BaseModel] | None:
    """Return the pydantic model that validates this plugin's ``[plugins.<name>]`` section.

    Called once per plugin while the app is built, before any other
    contribution (``patron report list`` and ``patron customers show``, which
    read no plugin config, defer it to the first time a plugin's config is
    read). The core validates the section with the returned model and
    passes the validated instance to the plugin as ``app.plugin_config(name)``;
    a plugin never reads the raw dictionary. A plugin without settings returns
    None (or does not implement the hook); its section must then be empty.

    A plugin may instead declare ``PluginManifest(config_model="pkg.mod:Model")``;
    the registry then resolves it without this hook.

    Call order: the contract's (LIFO, ``core`` last); each result stays with its plugin.

    :return: a pydantic ``BaseModel`` subclass whose fields all have defaults,
        so an absent section is valid; or None. Each plugin's result is kept for
        that plugin only.
    """


@hookspec
def patron_migrations() -> str | None:
    """Return the directory holding this plugin's Alembic migration scripts.

    Called once per plugin by ``patron db upgrade``, ``patron db status`` and
    ``patron init``. Each plugin's scripts form their own version branch (label:
    the plugin name) with their own version table, applied after the core's and
    after those of the plugins it requires. Tables are declared on
    ``patron.models.Base.metadata`` so foreign keys to core tables resolve.

    A plugin may instead declare ``PluginManifest(migrations="migrations")``, a
    folder beside its module, without implementing this hook.

    Call order: the contract's (LIFO); whatever the call order, branches are
    *applied* ``core`` first and then in dependency order.

    :return: an absolute path to a directory of Alembic revision files, or None
        when the plugin has no tables. Each plugin's result is kept for that
        plugin only.
    """


# ---------------------------------------------------------------------------
# Contributions: command line
# ---------------------------------------------------------------------------


@hookspec
def patron_cli_commands(cli: click.Group) -> None:
    """Add this plugin's commands or command groups to the ``patron`` CLI.

    Called once while the CLI is built (including for ``patron --help``), so the
    module that defines the commands must import only ``click`` at module level
    and import anything heavy inside the command bodies.

    Call order: the contract's (LIFO, ``core`` last); a command name already
    added is replaced by a later ``add_command``, so plugins must not reuse core names.

    :param cli: the root ``patron`` click group; call ``cli.add_command(...)``.
    :return: nothing.
    """


# ---------------------------------------------------------------------------
# Contributions: models, schemes, channels, reports, audiences, panels
# ---------------------------------------------------------------------------


@hookspec
def patron_scoring_models(register: Callable[[ScoringModel], None], app: App) -> None:
    """Register the scoring models this plugin provides.

    Called the first time anything asks for scoring models (``app.scoring_models``).

    Call order: the contract's (LIFO); objects are collected in that order.

    :param register: call once per model with a ``ScoringModel``; a name already
        registered by another plugin is refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; models from all plugins are collected by name.
    """


@hookspec
def patron_tier_schemes(register: Callable[[TierScheme], None], app: App) -> None:
    """Register the loyalty tier schemes this plugin provides.

    Called the first time anything asks for tier schemes (``app.tier_schemes``).

    Call order: the contract's (LIFO); objects are collected in that order.

    :param register: call once per scheme with a ``TierScheme``; duplicate names
        are refused with an error naming both plugins.
    :param app: the running app, so a scheme can take its thresholds from
        ``app.plugin_config(name)``.
    :return: nothing; schemes from all plugins are collected by name.
    """


@hookspec
def patron_channels(register: Callable[[Channel], None], app: App) -> None:
    """Register the outbound channels (email, SMS, …) this plugin provides.

    Called the first time anything asks for channels (``app.channels``).

    Call order: the contract's (LIFO); objects are collected in that order.

    :param register: call once per channel with a ``Channel``; duplicate names are
        refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; channels from all plugins are collected by name.
    """


@hookspec
def patron_reports(register: Callable[[Report], None], app: App) -> None:
    """Register the reports this plugin provides.

    Called the first time anything asks for reports (``patron report list``,
    ``patron report run``, ``patron demo``). The core registers its own reports
    through this same hook.

    Call order: the contract's (LIFO, ``core`` last); reports are listed in that order.

    :param register: call once per report with a ``Report``; duplicate names are
        refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; reports from all plugins are collected by name.
    """


@hookspec
def patron_audiences(register: Callable[[Audience], None], app: App) -> None:
    """Register the audiences (named sets of customers) this plugin provides.

    Called the first time anything asks for audiences (``app.audiences``), for
    example when a channel resolves the audience of a campaign. Names are
    namespaced by convention: ``<plugin>:<kind>:<value>``, e.g. ``rfm:segment:champions``.

    Call order: the contract's (LIFO); objects are collected in that order.

    :param register: call once per audience with an ``Audience``; duplicate names
        are refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; audiences from all plugins are collected by name.
    """


@hookspec
def patron_audience_families(register: Callable[[AudienceFamily], None], app: App) -> None:
    """Register families of this plugin's audiences, each answerable by one query (contract 1.2).

    Optional: implement it when your audiences split customers by one key
    (segments, tiers), so that reports grouping by every audience of a family
    (``clv-by-segment``) read them in one query instead of one per audience.
    Called the first time anything asks for families (``app.audience_families``).

    Call order: the contract's (LIFO); objects are collected in that order.

    :param register: call once per family with an ``AudienceFamily`` whose name is the
        common prefix of its audiences (``rfm:segment``); duplicate names are refused
        with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; families from all plugins are collected by name.
    """


@hookspec
def patron_customer_panels(register: Callable[[CustomerPanel], None], app: App) -> None:
    """Register panels shown on the customer-360 view (``patron customers show``).

    Called the first time a customer view is built.

    Call order: the contract's (LIFO); panels are shown in that order.

    :param register: call once per panel with a ``CustomerPanel``; duplicate names
        are refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; panels are shown in the contract's call order (see above).
    """


@hookspec
def patron_interaction_kinds(register: Callable[[InteractionKind], None], app: App) -> None:
    """Register the interaction kinds this plugin defines, with their payload checks.

    Called the first time anything asks for kinds (``app.interaction_kinds``),
    e.g. by ``patron import interactions`` before its first row. The core
    registers its own kinds (``patron.kinds``) through this same hook. The
    importer calls a kind's ``check_payload`` for every row of that kind and
    rejects a row it objects to, with line, column and reason. Kinds nobody
    registered are still accepted, unchecked.

    Call order: the contract's (LIFO, ``core`` last).

    :param register: call once per kind with an ``InteractionKind``; a kind
        registered by another plugin is refused with an error naming both plugins.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; kinds from all plugins are collected by name.
    """


@hookspec
def patron_web_routes(register: Callable[[WebRoute], None], app: App) -> None:
    """Register the web routes this plugin serves under ``patron serve``.

    Called once when ``patron serve`` builds its ASGI application (never by
    any other command, so web code is imported only there). A route's path
    must start with ``/<plugin name>/`` (e.g. ``/email/unsubscribe/{token}``);
    routes that change state accept POST only.

    Call order: the contract's (LIFO); routes are matched in that order.

    :param register: call once per route with a ``WebRoute``; a route name
        registered by another plugin, or a path outside the plugin's prefix, is
        refused with an error naming the plugin.
    :param app: the running app (settings, ``app.plugin_config(name)``).
    :return: nothing; routes from all plugins are collected by name.
    """


# ---------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------


@hookspec
def patron_refresh(app: App, as_of: datetime) -> str | None:
    """Bring this plugin's derived data up to date as of ``as_of``.

    Called by ``patron refresh`` (meant for a nightly job) and by ``patron demo``
    after it loaded its data set, once per plugin. Derived data are, for example, score
    snapshots, tier reviews or point expiry. The implementation opens its own
    transactions (``app.transaction()``) and must be idempotent: running it twice
    for the same data and ``as_of`` changes nothing the second time.

    Call order: the contract's (LIFO: a plugin before the plugins it requires;
    mark the implementation ``trylast`` to run after them).

    :param app: the running app.
    :param as_of: a timezone-aware UTC time; the data are computed as of then.
    :return: one line saying what was done, shown to the user; or None.
    """


# ---------------------------------------------------------------------------
# Events: called inside the unit of work that caused them
# ---------------------------------------------------------------------------


@hookspec
def patron_customers_upserted(
    app: App, session: Session, customer_ids: Sequence[int], created_ids: Sequence[int]
) -> None:
    """React to a batch of customers that were inserted or updated.

    Called once per batch, inside the transaction that wrote the batch, after
    the rows are flushed: a query on ``session`` sees them. Raising rolls the
    batch back and the error names this plugin.

    Call order: the contract's (LIFO, ``tryfirst``/``trylast`` honoured), every
    implementation inside the same transaction.

    :param app: the running app (settings, plugin config, contributions).
    :param session: the SQLAlchemy session of the batch's transaction; do not commit it.
    :param customer_ids: ids of every customer inserted or changed in the batch.
    :param created_ids: the subset of ``customer_ids`` that were newly inserted.
    :return: nothing; every implementation is called.
    """


@hookspec
def patron_interactions_recorded(app: App, session: Session, interaction_ids: Sequence[int]) -> None:
    """React to a batch of newly recorded interactions (purchases, emails, responses…).

    Called once per batch, inside the transaction that inserted the batch,
    after the rows are flushed. Only interactions that were actually inserted
    are passed (a re-import of known ``external_id``\\s passes none), so an
    implementation that derives data from them stays idempotent. Work on the
    batch with set-based SQL, e.g. ``WHERE interactions.id IN (...)``. Raising
    rolls the batch back and the error names this plugin.

    Call order: the contract's (LIFO, ``tryfirst``/``trylast`` honoured), every
    implementation inside the same transaction.

    :param app: the running app (settings, plugin config, contributions).
    :param session: the SQLAlchemy session of the batch's transaction; do not commit it.
    :param interaction_ids: ids of the interactions inserted in this batch.
    :return: nothing; every implementation is called.
    """


@hookspec
def patron_consent_changed(app: App, session: Session, changes: Sequence[ConsentChange]) -> None:
    """React to consent being granted or revoked.

    Called once per batch of consent log entries, inside the transaction that
    appended them. Raising rolls the change back and the error names this plugin.

    Call order: the contract's (LIFO, ``tryfirst``/``trylast`` honoured), every
    implementation inside the same transaction.

    :param app: the running app.
    :param session: the SQLAlchemy session of the transaction; do not commit it.
    :param changes: the appended entries (customer, channel, purpose, granted, when).
    :return: nothing; every implementation is called.
    """


@hookspec
def patron_customer_export(app: App, session: Session, customer_id: int) -> dict[str, Any] | None:
    """Return everything this plugin holds about one customer (GDPR right of access).

    Called by ``patron customers export`` inside one read transaction, once per
    plugin. A plugin that stores personal data must implement it.

    Call order: the contract's (LIFO); results are kept per plugin, so order
    does not change the export.

    :param app: the running app.
    :param session: the SQLAlchemy session of the export.
    :param customer_id: the customer's internal id.
    :return: a JSON-serialisable dict of this plugin's data about the customer, or
        None when it holds nothing. Results are kept per plugin under its name.
    """


@hookspec
def patron_customer_erase(app: App, session: Session, customer_id: int) -> None:
    """Remove or pseudonymise this plugin's personal data about one customer (GDPR erasure).

    Called by ``patron customers erase`` inside the erasure transaction, before
    the core pseudonymises the customer row. Keep what aggregates need (amounts,
    dates, points) without identity. Must be idempotent: erasing twice is harmless.
    Raising aborts the whole erasure and the error names this plugin.

    Call order: the contract's (LIFO, ``core``'s own pseudonymisation after every
    plugin's), inside the erasure transaction.

    :param app: the running app.
    :param session: the SQLAlchemy session of the erasure; do not commit it.
    :param customer_id: the customer's internal id.
    :return: nothing; every implementation is called.
    """
