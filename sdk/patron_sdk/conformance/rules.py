"""The rule type, the rule registry, and the rules about a plugin as a whole.

A rule states one sentence of the contract (``core/patron/hooks.py``,
``core/patron/contracts.py``, ``patron.manifest``), says how to fix a
violation, and checks a ``ConformanceContext``, yielding one line per
violation found. Rules about contributed objects live in ``contributions``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patron_sdk.conformance.context import ConformanceContext

Check = Callable[[ConformanceContext], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """One contract rule: its id, what it requires, how to fix a violation, and its check."""

    id: str
    requires: str
    fix: str
    check: Check
    needs_database: bool = True

    def __repr__(self) -> str:
        return f"Rule({self.id})"


@dataclass(frozen=True)
class Violation:
    """One broken rule, about one plugin (and one contribution, when the rule is about one)."""

    rule: Rule
    plugin: str
    detail: str

    def __str__(self) -> str:
        return (
            f"[{self.rule.id}] plugin {self.plugin!r}: {self.detail}\n"
            f"    rule: {self.rule.requires}\n"
            f"    fix:  {self.rule.fix}"
        )


RULES: list[Rule] = []


def rule(rule_id: str, *, requires: str, fix: str, needs_database: bool = True) -> Callable[[Check], Check]:
    """Register the decorated check as rule ``rule_id``."""

    def decorate(check: Check) -> Check:
        if any(r.id == rule_id for r in RULES):
            raise RuntimeError(f"conformance rule {rule_id!r} is defined twice")
        RULES.append(Rule(rule_id, requires, fix, check, needs_database))
        return check

    return decorate


def run_rule(ctx: ConformanceContext, the_rule: Rule) -> list[Violation]:
    """Check one rule; an exception escaping the check counts as a violation of that rule."""
    if the_rule.needs_database and ctx.upgrade_error is not None:
        return [
            Violation(
                the_rule,
                ctx.plugin,
                f"cannot be checked: the migrations did not apply (see rule migrations-upgrade): {ctx.upgrade_error}",
            )
        ]
    try:
        details = list(the_rule.check(ctx))
    except Exception as exc:
        # The plugin's code raised while being checked: that breaks the rule too, and the
        # plugin author needs the exception, not a traceback into the SDK.
        details = [f"raised {type(exc).__name__}: {exc}"]
    return [Violation(the_rule, ctx.plugin, d) for d in details]


def check_plugin(ctx: ConformanceContext, rule_ids: Iterable[str] | None = None) -> list[Violation]:
    """Check every rule (or only ``rule_ids``) and return all violations."""
    from patron_sdk.conformance import contributions  # noqa: F401  (registers its rules)

    wanted = set(rule_ids) if rule_ids is not None else None
    if wanted is not None:
        unknown = wanted - {r.id for r in RULES}
        if unknown:
            raise ValueError(f"unknown conformance rule(s): {', '.join(sorted(unknown))}")
    found: list[Violation] = []
    for the_rule in RULES:
        if wanted is None or the_rule.id in wanted:
            found.extend(run_rule(ctx, the_rule))
    return found


# ---------------------------------------------------------------------------
# The plugin as a whole
# ---------------------------------------------------------------------------


@rule(
    "manifest",
    requires="the plugin exposes MANIFEST = PluginManifest(...) whose name is the plugin's name, "
    "with a one-line description",
    fix="add MANIFEST = PluginManifest(name='<entry-point name>', contract=CONTRACT_VERSION, "
    "description='...') to the plugin module (from patron import CONTRACT_VERSION, PluginManifest)",
    needs_database=False,
)
def _manifest(ctx: ConformanceContext) -> Iterator[str]:
    from patron.manifest import PluginManifest

    manifest = getattr(ctx.module, "MANIFEST", None)
    if not isinstance(manifest, PluginManifest):
        yield f"MANIFEST is {type(manifest).__name__}, not a PluginManifest"
        return
    if manifest.name != ctx.plugin:
        yield f"MANIFEST.name is {manifest.name!r}, but the plugin is registered as {ctx.plugin!r}"
    if not manifest.description.strip():
        yield "MANIFEST.description is empty ('patron plugins list' shows it)"


@rule(
    "config-defaults",
    requires="patron_config_model (or MANIFEST.config_model) gives a pydantic BaseModel subclass "
    "(or None) whose fields all have defaults, so an absent [plugins.<name>] section is valid",
    fix="give every field of the config model a default (Field(default=...) or default_factory)",
    needs_database=False,
)
def _config_defaults(ctx: ConformanceContext) -> Iterator[str]:
    from pydantic import BaseModel

    model = ctx.call("patron_config_model") or ctx.app.manifest_config_model(ctx.plugin)
    if model is None:
        return
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        yield f"patron_config_model returned {model!r}, not a pydantic BaseModel subclass"
        return
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    if required:
        yield f"config model {model.__name__} has fields without a default: {', '.join(required)}"


def _plugin_tables(ctx: ConformanceContext) -> list[Any]:
    """Tables mapped by classes defined in the plugin's package."""
    from patron.models import Base

    root = ctx.package_root
    return [
        m.local_table
        for m in Base.registry.mappers
        if m.class_.__module__.split(".")[0] == root and m.local_table is not None
    ]


@rule(
    "migrations-dir",
    requires="patron_migrations (or MANIFEST.migrations) gives None or the absolute path of an existing directory of "
    "Alembic revisions whose base revision carries the plugin's name as branch label; a plugin "
    "that declares tables ships migrations",
    fix="return str(Path(__file__).parent / 'migrations') and set branch_labels = ('<plugin>',) in "
    "the first revision (copy the migration that 'patron plugin new' generates)",
    needs_database=False,
)
def _migrations_dir(ctx: ConformanceContext) -> Iterator[str]:
    path = ctx.call("patron_migrations") or ctx.app.manifest_migrations(ctx.plugin)
    if path is None:
        tables = _plugin_tables(ctx)
        if tables:
            yield f"declares table(s) {', '.join(t.name for t in tables)} but returns no migrations"
        return
    directory = Path(path)
    if not directory.is_absolute():
        yield f"returned the relative path {path!r}; it depends on the working directory"
        return
    if not directory.is_dir():
        yield f"returned {path!r}, which is not a directory"
        return
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from patron.migrate import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(directory))
    cfg.set_main_option("path_separator", "os")
    script = ScriptDirectory.from_config(cfg)
    revisions = list(script.walk_revisions())
    if not revisions:
        yield f"{path} holds no Alembic revision"
        return
    for base in (r for r in revisions if not r.down_revision):
        if ctx.plugin not in base.branch_labels:
            yield (
                f"base revision {base.revision!r} has branch_labels {tuple(base.branch_labels)!r}; "
                f"it must include {ctx.plugin!r} so the plugin's branch is kept apart"
            )


@rule(
    "migrations-upgrade",
    requires="the plugin's migrations apply cleanly on an empty database, leave its branch at its "
    "head, and create every table (and column) its models declare",
    fix="run 'patron db upgrade' on a fresh database and fix the failing revision; add a revision "
    "for every table or column added to models.py",
)
def _migrations_upgrade(ctx: ConformanceContext) -> Iterator[str]:
    from sqlalchemy import inspect

    from patron.migrate import status

    branches = [b for b in ctx.app.migration_branches() if b.name == ctx.plugin]
    for st in status(ctx.app.engine, branches):
        if not st.up_to_date:
            yield f"after upgrade the branch is at {st.current}, not at its heads {st.heads}"
    with ctx.app.engine.connect() as conn:
        inspector = inspect(conn)
        existing = set(inspector.get_table_names())
        for table in _plugin_tables(ctx):
            if table.name not in existing:
                yield f"table {table.name!r} is declared in the models but no migration creates it"
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in have]
            if missing:
                yield f"table {table.name!r} lacks column(s) {', '.join(missing)} that the model declares"


@rule(
    "personal-data-hooks",
    requires="a plugin whose MANIFEST says stores_personal_data=True implements patron_customer_export "
    "and patron_customer_erase; one whose tables reference customers says so in its MANIFEST",
    fix="implement both hooks (see docs/hooks.md), and set stores_personal_data=True in MANIFEST when "
    "the plugin keeps rows about customers",
    needs_database=False,
)
def _personal_data_hooks(ctx: ConformanceContext) -> Iterator[str]:
    manifest = getattr(ctx.module, "MANIFEST", None)
    declared = bool(getattr(manifest, "stores_personal_data", False))
    if declared:
        for hook in ("patron_customer_export", "patron_customer_erase"):
            if not ctx.implements(hook):
                yield f"MANIFEST.stores_personal_data is True but {hook} is not implemented"
        return
    for table in _plugin_tables(ctx):
        for fk in table.foreign_keys:
            if fk.target_fullname == "customers.id":
                yield (f"table {table.name!r} references customers.id but MANIFEST.stores_personal_data is False")
                break


@rule(
    "export-erase",
    requires="patron_customer_export returns a JSON-serialisable dict or None for any customer; "
    "patron_customer_erase is idempotent (erasing twice is harmless) and writes only inside the "
    "caller's session",
    fix="return plain JSON values (str, int, float, bool, None, lists, dicts; format dates as ISO "
    "strings), and make erase a set-based UPDATE/DELETE on the given session that can run twice",
)
def _export_erase(ctx: ConformanceContext) -> Iterator[str]:
    exports = ctx.implements("patron_customer_export")
    erases = ctx.implements("patron_customer_erase")
    if not (exports or erases):
        return
    before = ctx.fingerprint()
    with ctx.rolled_back() as session:
        for customer_id in ctx.customer_ids:
            if exports:
                data = ctx.call("patron_customer_export", app=ctx.app, session=session, customer_id=customer_id)
                if data is not None and not isinstance(data, dict):
                    yield f"export of customer {customer_id} returned {type(data).__name__}, not a dict or None"
                    return
                try:
                    json.dumps(data)
                except (TypeError, ValueError) as exc:
                    yield f"export of customer {customer_id} is not JSON-serialisable: {exc}"
                    return
            if erases:
                ctx.call("patron_customer_erase", app=ctx.app, session=session, customer_id=customer_id)
                ctx.call("patron_customer_erase", app=ctx.app, session=session, customer_id=customer_id)
    for line in _changed_after_rollback(before, ctx.fingerprint()):
        yield f"erase {line}, though the caller rolled back: it committed or used its own connection"


def _changed_after_rollback(before: dict[str, str], after: dict[str, str]) -> list[str]:
    from patron_sdk.conformance.context import describe_changes

    return describe_changes(before, after)


@rule(
    "events-in-unit-of-work",
    requires="event hooks write only through the session they are given and never commit it, so "
    "the caller's rollback undoes everything",
    fix="use the 'session' argument for every write (no app.transaction(), no commit(), no own "
    "connection) inside patron_customers_upserted / patron_interactions_recorded / "
    "patron_consent_changed",
)
def _events_in_unit_of_work(ctx: ConformanceContext) -> Iterator[str]:
    from datetime import UTC, datetime

    from patron.contracts import ConsentChange
    from patron.ingest import append_consents, record_interactions, upsert_customers
    from patron_sdk.conformance.context import later_purchase

    events = ("patron_customers_upserted", "patron_interactions_recorded", "patron_consent_changed")
    if not any(ctx.implements(e) for e in events) or not ctx.customer_ids:
        return
    before = ctx.fingerprint()
    with ctx.rolled_back() as session:
        upsert_customers(ctx.app, session, [{"external_id": "conf-event-probe", "name": "Event Probe"}])
        record_interactions(ctx.app, session, [later_purchase(ctx.customer_ids[0])])
        change = ConsentChange(ctx.customer_ids[0], "email", "marketing", True, datetime.now(UTC), "conformance")
        append_consents(ctx.app, session, [change])
    for line in _changed_after_rollback(before, ctx.fingerprint()):
        yield f"an event {line} although the unit of work was rolled back"


HEAVY_MODULES = ("sqlalchemy", "pydantic", "jinja2", "alembic", "numpy", "pandas", "requests", "httpx", "psycopg")

_CLI_PROBE = """
import importlib, json, sys
import click, patron, patron.cli, patron.hooks
before = set(sys.modules)
module = importlib.import_module(sys.argv[1])
impl = getattr(module, "patron_cli_commands", None)
if impl is not None:
    impl(cli=click.Group("patron"))
heavy = set(sys.argv[2].split(","))
print(json.dumps(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in heavy)))
"""


@rule(
    "cli-light-import",
    requires="importing the plugin module and adding its CLI commands imports only click (and "
    "patron's light modules): 'patron --help' must stay fast",
    fix="move imports of SQLAlchemy, pydantic, Jinja2 and the plugin's own heavy modules inside the "
    "hook and command function bodies",
    needs_database=False,
)
def _cli_light_import(ctx: ConformanceContext) -> Iterator[str]:
    name = ctx.module_name
    if name is None:
        return  # an inline object has no importable module to probe in a fresh interpreter
    import os

    # The fresh interpreter must find the plugin where this process found it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, "-c", _CLI_PROBE, name, ",".join(HEAVY_MODULES)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        yield f"importing {name} and adding its commands failed: {done.stderr.strip().splitlines()[-1:]}"
        return
    heavy = json.loads(done.stdout)
    if heavy:
        roots = sorted({m.split(".")[0] for m in heavy})
        yield f"importing {name} and adding its commands imports {', '.join(roots)} at module level"
