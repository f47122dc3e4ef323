"""The whole demo job: fresh database in DIR, synthetic data loaded, every report rendered.

Steps, each printed by ``patron demo``:

1. write ``DIR/patron.toml`` enabling every *shipped* plugin that is installed
   (distributions ``patron-rfm``, ``patron-loyalty``, ``patron-nps``,
   ``patron-email``, ``patron-clv``; test plugins are never enabled) and create ``DIR/patron.db``;
2. load the generated data through ``patron.ingest`` in batches (so every
   plugin's event hooks see it, as with a real import);
3. every plugin's ``patron_refresh`` job runs as of a quarter before the day
   after the last interaction and then as of that day (scores, tier reviews,
   expiry), as a scheduled ``patron refresh`` would: two RFM snapshots, so the
   segment migration report has something to show;
4. run every registered report into ``DIR/reports/NAME.html`` and ``NAME.md``,
   and write the dashboard ``DIR/index.html``: each report's headline numbers
   and a thumbnail of its main chart, linking to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import func, select

from patron.contracts import ConsentChange
from patron.errors import InputError
from patron.models import Customer, Interaction
from patron.refresh import refresh as run_refresh

if TYPE_CHECKING:
    from patron.app import App
    from patron.demo.generate import DemoData
    from patron.reports.runner import ReportRun

#: Distributions shipped in this repository whose plugins the demo enables when installed.
SHIPPED_DISTRIBUTIONS = ("patron-rfm", "patron-loyalty", "patron-nps", "patron-email", "patron-clv")
DEMO_FILES = ("patron.toml", "patron.db", "patron.db-wal", "patron.db-shm", "index.html")
T = TypeVar("T")
BATCH = 2000
#: The earlier of the two refreshes the demo runs: this long before the later one.
EARLIER_REFRESH = timedelta(days=91)
#: First line of the demo's patron.toml: only a setup carrying it may be replaced by ``--force``.
DEMO_MARKER = "# Written by 'patron demo': a synthetic data set, safe to delete."


@dataclass
class DemoOutcome:
    """What the demo wrote, for the summary it prints."""

    directory: Path
    plugins: list[str]
    customers: int = 0
    interactions: int = 0
    consents: int = 0
    prepared: list[str] = field(default_factory=list)
    reports: list[tuple[str, str, list[Path]]] = field(default_factory=list)
    runs: list[ReportRun] = field(default_factory=list)
    index: Path | None = None


def shipped_plugins() -> list[str]:
    """Entry-point names of the installed shipped plugins, sorted."""
    found = set()
    for ep in entry_points(group="patron"):
        dist = ep.dist.name if ep.dist is not None else ""
        if dist.lower().replace("_", "-") in SHIPPED_DISTRIBUTIONS:
            found.add(ep.name)
    return sorted(found)


def prepare_directory(directory: Path, force: bool) -> None:
    """Create ``directory``; refuse to overwrite an earlier demo unless ``force`` (then remove only its files).

    Only a setup whose ``patron.toml`` carries ``DEMO_MARKER`` is ever replaced: a user's own
    configuration and database are never deleted, ``--force`` or not.
    """
    directory.mkdir(parents=True, exist_ok=True)
    existing = [name for name in DEMO_FILES if (directory / name).exists()]
    if not existing:
        return
    config = directory / "patron.toml"
    ours = config.is_file() and DEMO_MARKER in config.read_text(encoding="utf-8", errors="replace")
    if not ours:
        raise InputError(
            f"{directory} already holds files the demo would replace ({', '.join(existing)}) that "
            "'patron demo' did not write; choose an empty directory (your own setup is never replaced)"
        )
    if not force:
        raise InputError(
            f"{directory} already holds a Patron demo ({', '.join(existing)}); "
            "choose an empty directory or add --force to replace the demo there"
        )
    for name in existing:
        (directory / name).unlink()
    reports = directory / "reports"
    if reports.is_dir():
        for path in reports.glob("*"):
            if path.suffix in (".html", ".md") and path.is_file():
                path.unlink()


def build_demo(
    directory: Path,
    *,
    customers: int = 3000,
    seed: int = 42,
    plugins: list[str] | None = None,
    force: bool = False,
    say: Callable[[str], None] = lambda _line: None,
) -> DemoOutcome:
    """Run the demo into ``directory`` and return what it wrote (``say`` reports progress)."""
    from patron.app import App
    from patron.config import load_settings
    from patron.configfile import render_template, write_atomic
    from patron.demo.generate import generate

    if customers < 1:
        raise InputError(f"--customers {customers}: give at least 1")
    directory = directory.resolve()
    prepare_directory(directory, force)
    enabled = shipped_plugins() if plugins is None else plugins
    outcome = DemoOutcome(directory, enabled)
    write_atomic(directory / "patron.toml", DEMO_MARKER + "\n" + render_template("sqlite:///patron.db", enabled))
    app = App(load_settings(directory / "patron.toml", env={}))
    try:
        app.upgrade_database()
        say(f"Created {directory / 'patron.db'} with plugins: {', '.join(enabled) or 'none (core only)'}")
        data = generate(customers, seed)
        load(app, data, outcome)
        say(
            f"Loaded {outcome.customers:,} customers, {outcome.interactions:,} interactions and "
            f"{outcome.consents:,} consent choices (seed {seed})"
        )
        now = day_after_last_interaction(app)
        for when in (now - EARLIER_REFRESH, now):
            for line in run_refresh(app, when):
                line = f"{line} (as of {when.date().isoformat()})"
                outcome.prepared.append(line)
                say(line)
        render_all(app, directory / "reports", outcome)
        outcome.index = write_index(directory, outcome)
    finally:
        app.dispose()
    return outcome


def load(app: App, data: DemoData, outcome: DemoOutcome) -> None:
    """Write customers, consent and interactions through ``patron.ingest``, in batches, one transaction."""
    from patron.ingest import append_consents, record_interactions, upsert_customers

    with app.transaction() as session:
        for batch in _batches(data.customers):
            outcome.customers += len(upsert_customers(app, session, batch).inserted_ids)
        ids = {ext: cid for ext, cid in session.execute(select(Customer.external_id, Customer.id))}
        for consent_batch in _batches(data.consents):
            changes = [
                ConsentChange(ids[ext], channel, "marketing", granted, at, source)
                for ext, channel, granted, at, source in consent_batch
            ]
            append_consents(app, session, changes)
            outcome.consents += len(changes)
        for interaction_batch in _batches(data.interactions):
            rows = [
                {
                    **{k: v for k, v in r.items() if k != "customer_external_id"},
                    "customer_id": ids[r["customer_external_id"]],
                }
                for r in interaction_batch
            ]
            outcome.interactions += len(record_interactions(app, session, rows))


def day_after_last_interaction(app: App) -> datetime:
    """Midnight UTC after the last interaction: the demo's "now", so output depends only on the data."""
    with app.transaction() as session:
        last = session.scalar(select(func.max(Interaction.occurred_at)))
    if last is None:
        return datetime.now(UTC)
    return datetime.combine(last.date() + timedelta(days=1), time(), tzinfo=UTC)


def render_all(app: App, folder: Path, outcome: DemoOutcome) -> None:
    """Run every registered report with its defaults into ``folder`` as HTML and Markdown."""
    from patron.reports.output import write_outputs
    from patron.reports.render import render
    from patron.reports.runner import run_report

    folder.mkdir(parents=True, exist_ok=True)
    # The core's reports (the overview) first: the dashboard opens with the whole customer base.
    for name in sorted(app.reports, key=lambda n: app.reports.suppliers[n] != "core"):
        run = run_report(app, name)
        paths = []
        for fmt in ("html", "md"):
            paths += write_outputs(name, fmt, render(run, fmt), str(folder / f"{name}.{fmt}")) or []
        outcome.reports.append((name, run.result.title, paths))
        outcome.runs.append(run)


def write_index(directory: Path, outcome: DemoOutcome) -> Path:
    """``DIR/index.html``: the dashboard of every rendered report (headline numbers, main chart, links)."""
    from patron.reports.dashboard import Card, render_dashboard
    from patron.reports.output import write_outputs

    cards = [
        Card(f"reports/{run.report.name}.html", run, {"Markdown": f"reports/{run.report.name}.md"})
        for run in outcome.runs
    ]
    intro = (
        f"{outcome.customers:,} synthetic customers, {outcome.interactions:,} interactions and "
        f"{outcome.consents:,} consent choices over 2024–2025, in patron.db. "
        f"Plugins enabled: {', '.join(outcome.plugins) or 'none (core only)'}."
    )
    page = render_dashboard(cards, title="Patron demo", intro=intro)
    path = directory / "index.html"
    write_outputs("index", "html", {"": page}, str(path))
    return path


def _batches(rows: Sequence[T]) -> list[Sequence[T]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
