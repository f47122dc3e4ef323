"""The running application: settings, plugins, database and contributions, built lazily.

An ``App`` is what hooks receive as ``app``. It validates every plugin's config
section with the plugin's own model when built, opens the database on first
use, and collects contributions (reports, audiences, …) the first time they are
asked for, remembering which plugin supplied each.

``App(..., check_config=False)`` defers the validation to the first time any
plugin's config is read (``plugin_config``, ``plugin_configs``), which raises
the same ``ConfigError`` then. Only commands that read no plugin config use it
(``patron report list``, ``patron customers show``: ``patron.commands.unchecked_app``):
validating means importing pydantic and building every plugin's model, which
costs more than listing the reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from patron import contracts
from patron.config import Settings, load_settings
from patron.errors import ConfigError, PluginError
from patron.registry import PatronPluginManager, build_plugin_manager

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from patron.migrate import Branch

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


class Contributions(Generic[T]):
    """Objects registered through one registration hook, by name, with who supplied each."""

    def __init__(self, kind: str, type_: type | None = None) -> None:
        self.kind = kind
        self.type = type_
        self.items: dict[str, T] = {}
        self.suppliers: dict[str, str] = {}

    def register(self, plugin: str, item: T) -> None:
        """Validate and add ``item`` from ``plugin``; refuse a duplicate name naming both plugins."""
        try:
            name = contracts.check_name(self.kind, getattr(item, "name", None))
        except ValueError as exc:
            # check_name knows what is wrong with the name, not who registered it.
            raise PluginError(f'plugin "{plugin}" registered an invalid name: {exc}') from exc
        missing = contracts.missing_members(item, self.type) if self.type is not None else []
        if missing and self.type is not None:
            raise PluginError(
                f'plugin "{plugin}" registered {self.kind} "{name}" ({type(item).__name__}) without '
                f"{', '.join(missing)}; it must provide what patron.contracts.{self.type.__name__} declares"
            )
        if isinstance(item, contracts.WebRoute) and not item.path.startswith(f"/{plugin}/"):
            raise PluginError(
                f'plugin "{plugin}" registered web route "{name}" at {item.path!r}; '
                f"a plugin's routes live under /{plugin}/"
            )
        if name in self.items:
            raise PluginError(
                f'{self.kind} "{name}" is registered twice: by plugin "{self.suppliers[name]}" '
                f'and by plugin "{plugin}"; disable one of them or rename one {self.kind}'
            )
        self.items[name] = item
        self.suppliers[name] = plugin

    def __getitem__(self, name: str) -> T:
        return self.items[name]

    def __contains__(self, name: object) -> bool:
        return name in self.items

    def __iter__(self) -> Iterator[str]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def values(self) -> list[T]:
        """The registered objects in the order they were registered (the contract's call order)."""
        return list(self.items.values())

    def supplier(self, name: str) -> str:
        """The plugin that registered ``name``."""
        return self.suppliers[name]


class App:
    """Settings + plugin manager + database, shared by the CLI, hooks and tests."""

    def __init__(self, settings: Settings, pm: PatronPluginManager | None = None, *, check_config: bool = True) -> None:
        self.settings = settings
        self.pm = pm if pm is not None else build_plugin_manager(settings)
        if check_config:
            self.check_config()

    def check_config(self) -> None:
        """Validate every plugin's config section now; raise ``ConfigError`` naming the file and keys."""
        _ = self.plugin_configs  # validated on first access

    @cached_property
    def plugin_configs(self) -> dict[str, BaseModel | None]:
        """Every plugin's validated config (None for a plugin that takes none), by plugin name."""
        return self._validate_plugin_configs()

    @classmethod
    def from_config(cls, config: str | Path | None = None) -> App:
        """Build an app from a config file path (or the usual search)."""
        return cls(load_settings(config))

    # -- plugins ------------------------------------------------------------

    @property
    def plugin_names(self) -> list[str]:
        """Every registered plugin name, ``core`` first, in registration order."""
        return list(self.pm.infos)

    @overload
    def plugin_config(self, name: str) -> BaseModel | None: ...

    @overload
    def plugin_config(self, name: str, model: type[M]) -> M: ...

    def plugin_config(self, name: str, model: type[M] | None = None) -> BaseModel | M | None:
        """The validated config of plugin ``name``.

        With ``model``, the instance is checked to be a ``model`` (a plugin asks
        for its own config this way and gets it typed); a plugin without that
        config raises ``ConfigError`` instead of falling back to defaults.
        """
        config = self.plugin_configs.get(name)
        if model is None:
            return config
        if not isinstance(config, model):
            got = "no config" if config is None else type(config).__name__
            enabled = name in self.plugin_configs
            raise ConfigError(
                f'plugin "{name}" has {got}, not {model.__name__}'
                + ("" if enabled else f'; plugin "{name}" is not enabled (patron plugins enable {name})')
            )
        return config

    def call_order(self, hook_name: str) -> list[str]:
        """The plugins implementing ``hook_name``, in the order they are called (pluggy's).

        pluggy calls implementations last-registered first; ``tryfirst`` and
        ``trylast`` move one to the front or the back. Wrappers are not plugins'
        results and are left out.
        """
        caller = getattr(self.pm.hook, hook_name, None)
        if caller is None:
            return []
        impls = [impl for impl in caller.get_hookimpls() if not (impl.hookwrapper or impl.wrapper)]
        # get_hookimpls() lists in registration order with tryfirst last; pluggy walks it backwards.
        return [impl.plugin_name for impl in reversed(impls)]

    def call_each(
        self,
        hook_name: str,
        bind: Callable[[str], Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call ``hook_name`` once per plugin implementing it; return ``(plugin, result)`` pairs.

        The one dispatch path: events, contributions, jobs, export and erase all
        come through here. Plugins are visited in pluggy's order
        (``call_order``); each call goes through pluggy, so tracing sees it.
        ``bind(plugin)`` adds per-plugin arguments (the ``register`` callback
        that remembers who registered what). An exception from a plugin becomes
        a ``PluginError`` naming it (see ``guard``).
        """
        results = []
        for name in self.call_order(hook_name):
            caller = self.caller_for(name, hook_name)
            if caller is None:
                continue
            extra = bind(name) if bind is not None else {}
            with self.guard(name, hook_name):
                said = caller(**kwargs, **extra)
            results.append((name, said[0] if said else None))
        return results

    @contextmanager
    def guard(self, plugin: str, doing: str) -> Iterator[None]:
        """Run plugin code; an exception from it becomes a ``PluginError`` naming the plugin.

        Busy/serialization database errors pass through unchanged, so a
        caller's bounded retry can rerun the whole transaction; so does a
        ``PatronError`` (a user error the plugin raised on purpose, or one that
        already names its plugin) and a ``click`` exit.
        """
        from patron.errors import PatronError

        try:
            yield
        except PatronError:
            raise
        except Exception as exc:
            if _is_retryable(exc) or _is_click_exit(exc):
                raise
            # Anything else from a plugin aborts the work; say whose it was.
            info = self.pm.infos.get(plugin)
            label = info.label if info is not None else f'"{plugin}"'
            raise PluginError(f"plugin {label} failed in {doing}: {_describe(exc)}") from exc

    def caller_for(self, name: str, hook_name: str) -> Any:
        """A hook caller that reaches only plugin ``name``, or None when it lacks the hook."""
        others = [p for n, p in self.pm.list_name_plugin() if n != name]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        return caller if caller.get_hookimpls() else None

    def _validate_plugin_configs(self) -> dict[str, BaseModel | None]:
        from pydantic import ValidationError

        sections = self.settings.plugin_sections
        where = str(self.settings.path) if self.settings.path else "the environment"
        configs: dict[str, BaseModel | None] = {}
        models = dict(self.call_each("patron_config_model"))
        for name in self.plugin_names:
            model = models.get(name) or self.manifest_config_model(name)
            section = sections.get(name, {})
            if model is None:
                if section:
                    raise ConfigError(
                        f"{where}: [plugins.{name}] has settings ({', '.join(sorted(section))}) "
                        f'but plugin "{name}" takes none; remove the section'
                    )
                configs[name] = None
                continue
            try:
                configs[name] = model.model_validate(section)
            except ValidationError as exc:
                info = self.pm.infos.get(name)
                label = info.label if info is not None else f'"{name}"'
                raise ConfigError(_describe_validation(where, name, label, exc, self.settings.origins)) from exc
        return configs

    def config_model_of(self, name: str) -> type[BaseModel] | None:
        """Plugin ``name``'s settings model: from ``patron_config_model``, else from its MANIFEST."""
        found = dict(self.call_each("patron_config_model")).get(name)
        if found is not None:
            return found  # type: ignore[no-any-return]
        return self.manifest_config_model(name)

    def manifest_config_model(self, name: str) -> type[BaseModel] | None:
        """The model named by plugin ``name``'s ``MANIFEST.config_model``, imported; None when unset."""
        info = self.pm.infos.get(name)
        ref = info.manifest.config_model if info is not None else None
        if not ref:
            return None
        from pydantic import BaseModel

        from patron.manifest import resolve_reference

        with self.guard(name, "resolving MANIFEST.config_model"):
            found = resolve_reference(ref)
        if not (isinstance(found, type) and issubclass(found, BaseModel)):
            raise PluginError(
                f"plugin {info.label if info else name}: MANIFEST.config_model {ref!r} is not a pydantic model"
            )
        return found

    # -- database -----------------------------------------------------------

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine for ``settings.database_url`` (created on first use)."""
        from patron.db import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory bound to ``engine``."""
        from patron.db import session_factory

        return session_factory(self.engine)

    @contextmanager
    def transaction(self, immediate: bool = False) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        A transaction that reads and then writes should pass ``immediate=True``: on
        SQLite it then takes the write lock at ``BEGIN``, waiting for another
        command's lock up to the busy timeout, instead of failing at once with
        "database is locked" when another command commits after it started
        reading. (Not the default: a transaction opened inside another one's
        would wait for the outer one's lock.)
        """
        from patron.db import immediate_session

        with immediate_session(self.sessions, immediate) as session:
            yield session

    def migration_branches(self) -> list[Branch]:
        """The version branches of the core and every enabled plugin that has tables."""
        from patron.migrate import Branch

        found = dict(self.call_each("patron_migrations"))
        branches = []
        for name in self.plugin_names:  # core first, then dependency order: the order upgrades apply in
            path = found.get(name) or self.manifest_migrations(name)
            if path:
                branches.append(Branch(name, Path(path)))
        return branches

    def migrations_of(self, name: str) -> str | None:
        """Plugin ``name``'s migrations folder: from ``patron_migrations``, else from its MANIFEST."""
        found = dict(self.call_each("patron_migrations")).get(name)
        return str(found) if found else self.manifest_migrations(name)

    def manifest_migrations(self, name: str) -> str | None:
        """The absolute folder named by plugin ``name``'s ``MANIFEST.migrations``; None when unset."""
        info = self.pm.infos.get(name)
        if info is None or not info.manifest.migrations:
            return None
        return str(Path(info.module.__file__ or ".").parent / info.manifest.migrations)

    def upgrade_database(self) -> None:
        """Apply every pending migration of the core and the enabled plugins."""
        from patron.migrate import upgrade

        upgrade(self.engine, self.migration_branches())

    def dispose(self) -> None:
        """Close the database connections (tests and long-running hosts call this)."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    # -- contributions ------------------------------------------------------

    def reset_contributions(self) -> None:
        """Forget collected contributions, so they are collected again (after a plugin is added)."""
        for kind in contracts.CONTRIBUTION_KINDS:
            self.__dict__.pop(kind.attr, None)

    def _collect(self, attr: str) -> Contributions[Any]:
        kind = contracts.contribution_kind(attr)
        found: Contributions[Any] = Contributions(kind.label, kind.type)

        def bind(plugin: str) -> dict[str, Any]:
            return {"register": lambda item: found.register(plugin, item)}

        # ``app`` is offered to every registration hook; implementations that lack it ignore it.
        self.call_each(kind.hook, bind=bind, app=self)
        return found

    @cached_property
    def reports(self) -> Contributions[contracts.Report]:
        """Every registered report, by name."""
        return self._collect("reports")

    @cached_property
    def scoring_models(self) -> Contributions[contracts.ScoringModel]:
        """Every registered scoring model, by name."""
        return self._collect("scoring_models")

    @cached_property
    def tier_schemes(self) -> Contributions[contracts.TierScheme]:
        """Every registered tier scheme, by name."""
        return self._collect("tier_schemes")

    @cached_property
    def channels(self) -> Contributions[contracts.Channel]:
        """Every registered channel, by name."""
        return self._collect("channels")

    @cached_property
    def audiences(self) -> Contributions[contracts.Audience]:
        """Every registered audience, by name; erased customers are never members.

        Each audience's query is wrapped by the core (``patron.audiences.reachable``),
        so no channel can reach an erased customer, whatever the plugin's query says.
        """
        from patron.audiences import reachable

        found: Contributions[contracts.Audience] = self._collect("audiences")
        found.items = {name: reachable(audience) for name, audience in found.items.items()}
        return found

    @cached_property
    def audience_families(self) -> Contributions[contracts.AudienceFamily]:
        """Every registered audience family, by name; erased customers are never members.

        Wrapped like ``audiences`` (``patron.audiences.reachable``).
        """
        from patron.audiences import reachable

        found: Contributions[contracts.AudienceFamily] = self._collect("audience_families")
        found.items = {name: reachable(family) for name, family in found.items.items()}
        return found

    @cached_property
    def customer_panels(self) -> Contributions[contracts.CustomerPanel]:
        """Every registered customer-360 panel, by name, in the contract's call order."""
        return self._collect("customer_panels")

    @cached_property
    def interaction_kinds(self) -> Contributions[contracts.InteractionKind]:
        """Every registered interaction kind (the core's and the plugins'), by name."""
        return self._collect("interaction_kinds")

    @cached_property
    def web_routes(self) -> Contributions[contracts.WebRoute]:
        """Every registered web route, by name (collected by ``patron serve`` only)."""
        return self._collect("web_routes")


def _describe(exc: BaseException) -> str:
    """The exception in one line; for a database error its first line only.

    A database's message goes on with the SQL, the bound values and a DETAIL
    line quoting the offending key: customers' names and emails. None of that is shown.
    """
    orig = getattr(exc, "orig", None)
    if orig is not None and type(exc).__module__.startswith("sqlalchemy"):
        text = str(orig).strip()
        return f"{type(exc).__name__}: {text.splitlines()[0] if text else type(orig).__name__}"
    return f"{type(exc).__name__}: {exc}"


def _is_retryable(exc: BaseException) -> bool:
    if "sqlalchemy" not in sys.modules:
        return False  # no database was touched, so it cannot be a busy database
    from patron.db import is_retryable

    return is_retryable(exc)


def _is_click_exit(exc: BaseException) -> bool:
    click = sys.modules.get("click")
    return click is not None and isinstance(exc, click.exceptions.Exit | click.exceptions.Abort)


def _describe_validation(where: str, plugin: str, label: str, exc: ValidationError, origins: Mapping[str, str]) -> str:
    lines = [f"{where}: invalid settings for plugin {label}:"]
    for error in exc.errors():
        path = ".".join(str(p) for p in ("plugins", plugin, *error["loc"]))
        # A key set from the environment is fixed there, not in the file.
        env_keys = (k for k in origins if k.startswith(f"plugins.{plugin}."))
        source = next((f" (set by {origins[k]})" for k in env_keys if path == k or path.startswith(k + ".")), "")
        lines.append(f"  {path}{source}: {error['msg']}")
    lines.append(
        f"Fix these keys in [plugins.{plugin}] (see the plugin's README for each key and its default), "
        f"or disable the plugin with 'patron plugins disable {plugin}'."
    )
    return "\n".join(lines)
