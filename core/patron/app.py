"""The running application: settings, plugins, database and contributions, built lazily.

An ``App`` is what hooks receive as ``app``. It validates every plugin's config
section with the plugin's own model when built, opens the database on first
use, and collects contributions (reports, audiences, …) the first time they are
asked for, remembering which plugin supplied each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from patron import contracts
from patron.config import Settings, load_settings
from patron.errors import ConfigError, PluginError
from patron.registry import PatronPluginManager, build_plugin_manager

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from patron.migrate import Branch

T = TypeVar("T")


class Contributions(Generic[T]):
    """Objects registered through one ``patron_register_*`` style hook, by name."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: dict[str, T] = {}
        self.suppliers: dict[str, str] = {}

    def register(self, plugin: str, item: T) -> None:
        """Validate and add ``item`` from ``plugin``; refuse a duplicate name naming both plugins."""
        try:
            name = contracts.check_name(self.kind, getattr(item, "name", None))
        except ValueError as exc:
            # check_name knows what is wrong with the name, not who registered it.
            raise PluginError(f'plugin "{plugin}" registered an invalid name: {exc}') from exc
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
        """The registered objects in registration order."""
        return list(self.items.values())


class App:
    """Settings + plugin manager + database, shared by the CLI, hooks and tests."""

    def __init__(self, settings: Settings, pm: PatronPluginManager | None = None) -> None:
        self.settings = settings
        self.pm = pm if pm is not None else build_plugin_manager(settings)
        self.plugin_configs = self._validate_plugin_configs()

    @classmethod
    def from_config(cls, config: str | Path | None = None) -> App:
        """Build an app from a config file path (or the usual search)."""
        return cls(load_settings(config))

    # -- plugins ------------------------------------------------------------

    @property
    def plugin_names(self) -> list[str]:
        """Every registered plugin name, ``core`` first, in registration order."""
        return list(self.pm.infos)

    def plugin_config(self, name: str) -> BaseModel | None:
        """The validated config model instance of plugin ``name`` (None: it has none)."""
        return self.plugin_configs.get(name)

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook_name`` once per plugin implementing it; return ``(plugin, result)`` pairs.

        Used where results must stay attached to the plugin that produced them
        (config models, migrations, events, export, refresh jobs). Plugins are
        visited in registration order; each call goes through pluggy, so tracing
        sees it. An exception from a plugin becomes a ``PluginError`` naming it,
        except busy/serialization database errors, which pass through so a
        caller's bounded retry can rerun the whole transaction, and a
        ``PluginError``, which already names its plugin.
        """
        from patron.db import is_retryable

        results = []
        for name in self.plugin_names:
            caller = self.caller_for(name, hook_name)
            if caller is None:
                continue
            try:
                said = caller(**kwargs)
            except PluginError:
                raise
            except Exception as exc:
                if is_retryable(exc):
                    raise
                # Anything else from a plugin aborts the work; say whose it was.
                info = self.pm.infos[name]
                raise PluginError(f"plugin {info.label} failed in {hook_name}: {type(exc).__name__}: {exc}") from exc
            results.append((name, said[0] if said else None))
        return results

    def caller_for(self, name: str, hook_name: str) -> Any:
        """A hook caller that reaches only plugin ``name``, or None when it lacks the hook."""
        others = [p for n, p in self.pm.list_name_plugin() if n != name]
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        return caller if caller.get_hookimpls() else None

    def _validate_plugin_configs(self) -> dict[str, BaseModel | None]:
        sections = self.settings.plugin_sections
        where = str(self.settings.path) if self.settings.path else "the environment"
        configs: dict[str, BaseModel | None] = {}
        models = dict(self.call_each("patron_config_model"))
        for name in self.plugin_names:
            model = models.get(name)
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
        """A session inside one transaction: committed on success, rolled back on error."""
        from patron.db import immediate_session

        with immediate_session(self.sessions, immediate) as session:
            yield session

    def migration_branches(self) -> list[Branch]:
        """The version branches of the core and every enabled plugin that has tables."""
        from patron.migrate import Branch

        return [Branch(name, Path(path)) for name, path in self.call_each("patron_migrations") if path]

    def upgrade_database(self) -> None:
        """Apply every pending migration of the core and the enabled plugins."""
        from patron.migrate import upgrade

        upgrade(self.engine, self.migration_branches())

    def dispose(self) -> None:
        """Close the database connections (tests and long-running hosts call this)."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    # -- contributions ------------------------------------------------------

    CONTRIBUTION_KINDS = ("reports", "scoring_models", "tier_schemes", "channels", "audiences", "customer_panels")

    def reset_contributions(self) -> None:
        """Forget collected contributions, so they are collected again (after a plugin is added)."""
        for kind in self.CONTRIBUTION_KINDS:
            self.__dict__.pop(kind, None)

    def _collect(self, hook_name: str, kind: str) -> Contributions[Any]:
        found: Contributions[Any] = Contributions(kind)
        for name in self.plugin_names:
            caller = self.caller_for(name, hook_name)
            if caller is not None:
                # ``app`` is offered to every registration hook; specs that lack it ignore it.
                caller(register=lambda item, _plugin=name: found.register(_plugin, item), app=self)
        return found

    @cached_property
    def reports(self) -> Contributions[contracts.Report]:
        """Every registered report, by name."""
        return self._collect("patron_reports", "report")

    @cached_property
    def scoring_models(self) -> Contributions[contracts.ScoringModel]:
        """Every registered scoring model, by name."""
        return self._collect("patron_scoring_models", "scoring model")

    @cached_property
    def tier_schemes(self) -> Contributions[contracts.TierScheme]:
        """Every registered tier scheme, by name."""
        return self._collect("patron_tier_schemes", "tier scheme")

    @cached_property
    def channels(self) -> Contributions[contracts.Channel]:
        """Every registered channel, by name."""
        return self._collect("patron_channels", "channel")

    @cached_property
    def audiences(self) -> Contributions[contracts.Audience]:
        """Every registered audience, by name."""
        return self._collect("patron_audiences", "audience")

    @cached_property
    def customer_panels(self) -> Contributions[contracts.CustomerPanel]:
        """Every registered customer-360 panel, by name, in registration order."""
        return self._collect("patron_customer_panels", "customer panel")


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
