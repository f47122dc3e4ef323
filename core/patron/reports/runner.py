"""Run a registered report in one read-only transaction and build its footer.

Read-only is enforced by the database, not by trust: PostgreSQL runs the report
in a ``REPEATABLE READ, READ ONLY`` transaction (one snapshot for every query),
SQLite with ``PRAGMA query_only`` inside one deferred transaction (WAL gives it
one snapshot too). Either way the transaction is rolled back at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from patron.errors import NotFoundError
from patron.reports.params import format_value, parse_params, validate_values

if TYPE_CHECKING:
    from patron.app import App
    from patron.contracts import Report, ReportResult


@dataclass(frozen=True)
class Footer:
    """What every rendered format states at its end, so a report can be reproduced."""

    report: str
    plugin: str
    parameters: dict[str, str]
    as_of: str
    plugin_versions: dict[str, str]
    fingerprint: str
    fingerprint_covers: str
    generated_at: str

    def rows(self) -> list[tuple[str, str]]:
        """The footer as ``(label, text)`` pairs, for the text formats."""
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items()) or "none"
        plugins = ", ".join(f"{k} ({v})" for k, v in self.plugin_versions.items())
        return [
            ("Report", f"{self.report} (from plugin {self.plugin})"),
            ("Parameters", params),
            ("As of", self.as_of),
            ("Plugins", plugins),
            ("Data fingerprint", self.fingerprint),
            ("Generated at", self.generated_at),
        ]


@dataclass(frozen=True)
class ReportRun:
    """A computed report: what it is, its validated parameters, its result and its footer."""

    report: Report
    params: dict[str, Any]
    result: ReportResult
    footer: Footer


def get_report(app: App, name: str) -> Report:
    """The registered report ``name``; NotFoundError lists the available ones."""
    reports = app.reports
    if name not in reports:
        from difflib import get_close_matches

        close = get_close_matches(name, list(reports), n=1)
        guess = f'did you mean "{close[0]}"? ' if close else ""
        available = ", ".join(sorted(reports)) or "none (enable a plugin that provides reports)"
        raise NotFoundError(f"no report named \"{name}\"; {guess}available: {available} (see 'patron report list')")
    return reports[name]


def generated_now() -> datetime:
    """Now in UTC, or ``$SOURCE_DATE_EPOCH`` when set (reproducible output, as in reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def run_report(
    app: App,
    name: str,
    assignments: Iterable[str] = (),
    *,
    values: Mapping[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> ReportRun:
    """Validate parameters, run report ``name`` read-only, and compute its footer.

    :param assignments: ``name=value`` strings (from ``--param``).
    :param values: already typed values (from Python callers); merged over ``assignments``.
    :param generated_at: the time stated in the footer (default: ``generated_now()``).
    """
    from patron.reports.fingerprint import COVERS, core_census, fingerprint

    report = get_report(app, name)
    params = parse_params(report, assignments)
    if values:
        params = validate_values(report, {**params, **values})
    with read_only_session(app) as session:
        with app.guard(app.reports.supplier(name), f'report "{name}"'):
            result = report.run(app, session, params)
        census = core_census(session)
    as_of = result.as_of if result.as_of is not None else params.get("as_of")
    footer = Footer(
        report=name,
        plugin=app.reports.suppliers[name],
        parameters={k: format_value(v) for k, v in params.items()},
        as_of=as_of.isoformat() if isinstance(as_of, date) else "not stated by this report",
        plugin_versions={n: f"{i.distribution} {i.version}" for n, i in app.pm.infos.items()},
        fingerprint=fingerprint(census, result),
        fingerprint_covers=COVERS,
        generated_at=(generated_at or generated_now()).isoformat(),
    )
    return ReportRun(report, params, result, footer)


@contextmanager
def read_only_session(app: App) -> Iterator[Session]:
    """A session on one connection in a read-only transaction, always rolled back.

    On PostgreSQL the transaction also turns JIT compilation off (``SET LOCAL``, so only
    for this transaction): a report is a handful of statements of about a second, and
    compiling one of them (100-250 ms, measured on the overview at 1,000,000
    purchases) costs more than it saves.
    """
    conn = app.engine.connect()
    sqlite = conn.dialect.name == "sqlite"
    try:
        if sqlite:
            conn.exec_driver_sql("PRAGMA query_only = ON")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if (conn.dialect.server_version_info or (0,)) >= (11,):  # JIT (and its setting) came in 11
                conn.exec_driver_sql("SET LOCAL jit = off")
        with Session(bind=conn, join_transaction_mode="rollback_only") as session:
            yield session
    finally:
        try:
            conn.rollback()
            if sqlite:
                # The pragma belongs to the pooled connection: switch it off before the pool reuses it.
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.commit()
        finally:
            conn.close()
