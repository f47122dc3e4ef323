"""The batch runner: read → validate → de-duplicate → write one transaction per batch.

Each batch is written by ``patron.ingest`` inside one transaction (retried as a
whole when the database is busy or a serialization failure occurs), so the
batch event hooks fire inside it and a killed import leaves only whole batches
behind; re-running the same command finishes the job with exact counts,
because rows are matched on ``external_id``. With ``strict`` the whole file is
one transaction that is rolled back when any row is rejected.
"""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from sqlalchemy import exc as sa_exc

from patron.errors import InputError, PatronError
from patron.importer import rows as rowmod
from patron.importer.dates import date_parser
from patron.importer.readers import Format, Reader, SourceRow
from patron.importer.seen import SeenIds

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

Kind = Literal["customers", "interactions"]
#: Exit code of ``patron import`` when rows were rejected (the good rows were still imported).
EXIT_REJECTED = 8
DEFAULT_BATCH_SIZE = 5000
MAX_BATCH_SIZE = 50_000


@dataclass
class ImportOptions:
    """What to import and how (the ``patron import`` options)."""

    kind: Kind
    path: Path
    format: Format = "csv"
    mapping: dict[str, str] = field(default_factory=dict)
    #: ``--set COLUMN=VALUE``: a constant column added to every row.
    constants: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    on_conflict: Literal["update", "skip"] = "update"
    strict: bool = False
    rejects_path: Path | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise InputError(f"--batch-size {self.batch_size} is out of range: use 1 to {MAX_BATCH_SIZE}")
        if self.rejects_path is None:
            self.rejects_path = default_rejects_path(self.path)


def default_rejects_path(path: Path) -> Path:
    """Where rejected rows go by default: next to the input, ``FILE.rejects.csv``."""
    return path.with_name(path.name + ".rejects.csv")


@dataclass
class ImportSummary:
    """What an import did. ``written`` is False when ``--strict`` rolled everything back."""

    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    consent_changes: int = 0
    batches: int = 0
    rejects_file: str | None = None
    strict: bool = False
    written: bool = True

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


Reject = tuple[SourceRow, rowmod.RowError]


@dataclass
class BatchOutcome:
    """The result of writing one batch (counted only once its transaction committed)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    consent_changes: int = 0
    rejects: list[Reject] = field(default_factory=list)
    accepted: list[tuple[str, int]] = field(default_factory=list)


#: ``progress(bytes_done_since_last_call, rows_so_far)``, called after every batch.
Progress = Callable[[int, int], None]


class ImportInterrupted(PatronError):
    """Ctrl-C during an import: the message says what is stored and that re-running resumes."""

    exit_code = 130  # the shell's code for a process ended by SIGINT


class _StrictRollback(Exception):
    """Raised inside the strict transaction to roll it back after rows were rejected."""


class RejectsWriter:
    """Writes rejected rows as CSV: line, column, reason, then the row as it came in."""

    def __init__(self, path: Path, reader: Reader) -> None:
        self.path = path
        self.reader = reader
        self.count = 0
        self._file: IO[str] | None = None
        self._csv: Any = None

    def write(self, rejects: Sequence[Reject]) -> None:
        """Append rejected rows, creating the file on the first one."""
        if not rejects:
            return
        if self._csv is None:
            self._file = self.path.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            original = self.reader.header if self.reader.header is not None else ["original"]
            self._csv.writerow(["line", "column", "reason", *original])
        for source, error in rejects:
            self._csv.writerow([source.line, error.column, error.reason, *source.original])
        self.count += len(rejects)

    def close(self) -> None:
        """Close the file, if one was written."""
        if self._file is not None:
            self._file.close()


def run_import(app: App, options: ImportOptions, progress: Progress | None = None) -> ImportSummary:
    """Import ``options.path`` into the app's database and return the summary.

    ``progress(bytes_done, rows_so_far)`` is called after every batch. Ctrl-C
    (``KeyboardInterrupt``) becomes ``ImportInterrupted``, whose message says how
    many rows are stored and that re-running the same command resumes.
    """
    from patron.sql import run_transaction

    if options.strict:
        box: list[ImportSummary] = []

        def whole_file(session: Session) -> ImportSummary:
            box.clear()
            summary = _Import(app, options, progress).run(session)
            box.append(summary)
            if summary.rejected:
                raise _StrictRollback
            return summary

        try:
            return run_transaction(app.sessions, whole_file, immediate=True)
        except _StrictRollback:
            summary = box[0]
            summary.inserted = summary.updated = summary.unchanged = summary.consent_changes = 0
            summary.written = False
            return summary
    return _Import(app, options, progress).run(None)


RowCheck = Callable[[dict[str, Any]], "dict[str, Any] | rowmod.RowError"]


def payload_checks(app: App) -> dict[str, RowCheck]:
    """Per kind, a function that returns the parsed row, or the kind's objection to its payload.

    The checks come from the interaction kinds registered through
    ``patron_interaction_kinds``; a check that raises is a bug in its plugin,
    and the error names that plugin.
    """
    checks: dict[str, RowCheck] = {}
    for name, kind in app.interaction_kinds.items.items():
        check = kind.check_payload
        if check is None:
            continue

        def run(
            row: dict[str, Any], _check: Any = check, _plugin: str = app.interaction_kinds.supplier(name)
        ) -> dict[str, Any] | rowmod.RowError:
            with app.guard(_plugin, f'the payload check of interaction kind "{row["kind"]}"'):
                objection = _check(row["payload"])
            return row if objection is None else rowmod.RowError(*objection)

        checks[name] = run
    return checks


class _Import:
    """One run over one file."""

    def __init__(self, app: App, options: ImportOptions, progress: Progress | None) -> None:
        self.app = app
        self.options = options
        self.progress = progress
        scalars = rowmod.CUSTOMER_COLUMNS if options.kind == "customers" else rowmod.INTERACTION_COLUMNS
        self.reader = Reader(
            options.path,
            options.format,
            options.mapping,
            options.encoding,
            options.constants,
            scalars=[c for c in scalars if c != "payload"],
            scalar_prefixes=(rowmod.CONSENT_PREFIX,) if options.kind == "customers" else (),
        )
        self.parse_date = date_parser(options.date_format)
        assert options.rejects_path is not None
        self.rejects = RejectsWriter(options.rejects_path, self.reader)
        self.summary = ImportSummary(options.kind, str(options.path), strict=options.strict)
        self.payload_checks = payload_checks(app) if options.kind == "interactions" else {}

    def run(self, session: Session | None) -> ImportSummary:
        """Process every batch; in ``session`` when given (strict), else one transaction each."""
        seen = SeenIds(scratch_folder(self.app))
        reported = 0
        try:
            with _garbage_collected_per_batch() as collect:
                for batch in _batched(self.reader.rows(), self.options.batch_size):
                    if self.summary.batches == 0:
                        self._check_columns()
                    outcome = self._process(batch, seen, session)
                    self._count(outcome, len(batch))
                    self.rejects.write(outcome.rejects)
                    if self.progress is not None:
                        self.progress(self.reader.bytes_read - reported, self.summary.rows)
                        reported = self.reader.bytes_read
                    del batch, outcome  # garbage by now: the collection below need not look at them
                    collect()
        except KeyboardInterrupt:
            raise ImportInterrupted(self._interrupted(session is not None)) from None
        except InputError as exc:
            if session is None and self.summary.inserted + self.summary.updated:
                raise InputError(
                    f"{exc}\n(the {self.summary.rows} rows before it were processed and are stored; "
                    "re-running the same command after fixing the file is safe: imported rows are matched "
                    "on external_id)"
                ) from exc
            raise
        finally:
            seen.close()
            self.rejects.close()
        self._finish()
        return self.summary

    def _interrupted(self, strict: bool) -> str:
        s = self.summary
        if strict:
            return (
                "interrupted: nothing was written (--strict imports the whole file in one transaction, "
                "which was rolled back); run the same command again to import the file"
            )
        return (
            f"interrupted after {s.rows:,} rows in {s.batches:,} committed batches: {s.inserted:,} inserted, "
            f"{s.updated:,} updated, {s.unchanged:,} unchanged, {s.rejected:,} rejected are stored; the batch "
            "in progress was rolled back. Re-running the same command resumes: rows already imported are "
            "matched on external_id and counted as unchanged"
        )

    def _check_columns(self) -> None:
        columns = self.reader.columns
        if columns is None:
            return  # JSON Lines: each row names its own keys; a missing one rejects that row
        required = rowmod.CUSTOMER_REQUIRED if self.options.kind == "customers" else rowmod.INTERACTION_REQUIRED
        missing = [c for c in required if c not in columns]
        if missing:
            raise InputError(
                f"{self.options.path}: missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header has: {', '.join(self.reader.header or [])}); "
                f"rename a column with --map, e.g. --map YOUR_COLUMN={missing[0]}, or give every row the same "
                f"value with --set, e.g. --set {missing[0]}=VALUE"
            )

    def _count(self, outcome: BatchOutcome, rows: int) -> None:
        s = self.summary
        s.rows += rows
        s.batches += 1
        s.inserted += outcome.inserted
        s.updated += outcome.updated
        s.unchanged += outcome.unchanged
        s.consent_changes += outcome.consent_changes
        s.rejected += len(outcome.rejects)

    def _finish(self) -> None:
        path = self.options.rejects_path
        assert path is not None
        if self.rejects.count:
            self.summary.rejects_file = str(path)
        elif path == default_rejects_path(self.options.path) and path.exists():
            # A rejects file left by an earlier run would now be misleading.
            path.unlink()

    # -- one batch -------------------------------------------------------------

    def _process(self, batch: list[SourceRow], seen: SeenIds, session: Session | None) -> BatchOutcome:
        from patron.sql import run_transaction

        rejects: list[Reject] = []
        parsed = self._validate(batch, rejects)
        parsed = self._drop_duplicates(parsed, seen, rejects)
        write = self._write_customers if self.options.kind == "customers" else self._write_interactions

        def work(s: Session) -> BatchOutcome:
            outcome = BatchOutcome(rejects=list(rejects))
            write(s, parsed, outcome)
            return outcome

        try:
            outcome = work(session) if session is not None else run_transaction(self.app.sessions, work, immediate=True)
            if len(outcome.accepted) < len(parsed):
                # Rows refused while writing (e.g. an unknown customer) do not count as seen.
                accepted = set(outcome.accepted)
                seen.release(pair for pair in self._id_lines(parsed) if pair not in accepted)
            return outcome
        except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
            # The database refused a value the checks let through: name the lines, never the values
            # (SQLAlchemy's message would carry the whole batch's bound parameters: names, emails).
            reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            raise InputError(
                f"{self.options.path}: lines {batch[0].line}-{batch[-1].line}: the database refused this batch "
                f"({reason}); nothing of it was stored. Fix those rows and run the import again"
            ) from None

    def _validate(self, batch: list[SourceRow], rejects: list[Reject]) -> list[tuple[SourceRow, Any]]:
        parsed: list[tuple[SourceRow, Any]] = []
        customers = self.options.kind == "customers"
        required = rowmod.CUSTOMER_REQUIRED if customers else rowmod.INTERACTION_REQUIRED
        has_attributes = customers and self._has_extra_columns()
        columns = self.reader.columns
        parse_interaction = self._interaction_parser()
        parse_customer = (
            rowmod.customer_parser(columns, self.parse_date, has_attributes) if customers and columns else None
        )
        checks = self.payload_checks
        row_error = rowmod.RowError
        for source in batch:
            if source.problem is not None:
                rejects.append((source, row_error("-", source.problem)))
                continue
            if columns is None:  # JSON Lines: check each row's keys
                missing = [c for c in required if c not in source.values]
                if missing:
                    rejects.append((source, row_error(missing[0], "is missing; it is required")))
                    continue
            if parse_customer is not None:
                result: Any = parse_customer(source.values)
            elif customers:
                result = rowmod.parse_customer(
                    source.values,
                    self.parse_date,
                    has_attributes or (columns is None and _extra_keys(source.values)),
                )
            else:
                result = parse_interaction(source.values)
                if checks and result.__class__ is not row_error and result["kind"] in checks:
                    result = checks[result["kind"]](result)
            if result.__class__ is row_error:
                rejects.append((source, result))
            else:
                parsed.append((source, result))
        return parsed

    def _interaction_parser(self) -> Callable[[dict[str, Any]], dict[str, Any] | rowmod.RowError]:
        """The row parser for this file: the fast one for CSV (known columns, string cells), else the general one."""
        columns = self.reader.columns
        parse_date = self.parse_date
        if columns is None:
            return lambda values: rowmod.parse_interaction(values, parse_date)
        extra = tuple(c for c in columns if c not in rowmod.INTERACTION_COLUMNS)
        return rowmod.interaction_parser(parse_date, extra, iso_dates=self.options.date_format is None)

    def _has_extra_columns(self) -> bool:
        columns = self.reader.columns or []
        return any(c not in rowmod.CUSTOMER_COLUMNS and not c.startswith(rowmod.CONSENT_PREFIX) for c in columns)

    def _drop_duplicates(
        self, parsed: list[tuple[SourceRow, Any]], seen: SeenIds, rejects: list[Reject]
    ) -> list[tuple[SourceRow, Any]]:
        pairs = self._id_lines(parsed)
        earlier = seen.claim(pairs)
        if earlier is None:
            return parsed  # the usual batch: no id seen before, none twice
        ids = [external_id for external_id, _ in pairs]
        kept: list[tuple[SourceRow, Any]] = []
        first_line: dict[str, int] = {}
        for (source, row), external_id in zip(parsed, ids, strict=True):
            line = earlier.get(external_id) or first_line.get(external_id)
            if line is not None:
                rejects.append(
                    (
                        source,
                        rowmod.RowError(
                            "external_id",
                            f"duplicate external_id {external_id!r}: it is already on line {line} of this file "
                            "(the first occurrence is imported, later ones are rejected)",
                        ),
                    )
                )
                continue
            first_line[external_id] = source.line
            kept.append((source, row))
        return kept

    def _id_lines(self, parsed: list[tuple[SourceRow, Any]]) -> list[tuple[str, int]]:
        """``(external_id, line)`` of parsed rows."""
        if self.options.kind == "customers":
            return [(row.values["external_id"], source.line) for source, row in parsed]
        return [(row["external_id"], source.line) for source, row in parsed]

    def _write_interactions(self, session: Session, parsed: list[tuple[SourceRow, Any]], out: BatchOutcome) -> None:
        from patron.importer.refunds import check_refunds
        from patron.ingest import record_interactions
        from patron.models import Customer

        wanted = list({row["customer_external_id"] for _, row in parsed})
        customer_ids = dict(_lookup(session, Customer.external_id, Customer.id, wanted))
        erased = _erased(self.app, session, [e for e in wanted if e not in customer_ids])
        rows: list[dict[str, Any]] = []
        sources: list[SourceRow] = []
        for source, row in parsed:
            external = row["customer_external_id"]
            cid = customer_ids.get(external)
            if cid is None:
                reason = (
                    f"customer {external!r} was erased (GDPR); interactions of erased customers are not imported"
                    if external in erased
                    else f"no customer with external_id {external!r}: import the customers first "
                    "(patron import customers FILE)"
                )
                out.rejects.append((source, rowmod.RowError("customer_external_id", reason)))
                continue
            # Set in place (no copy of a million dicts): a retried transaction sets the same id again.
            row["customer_id"] = cid
            rows.append(row)
            sources.append(source)
        # Refunds follow the core convention (patron.kinds); their purchase may be earlier in this batch.
        bad = {p.index: p for p in check_refunds(session, rows)}
        if bad:
            for index, problem in sorted(bad.items()):
                out.rejects.append((sources[index], rowmod.RowError(problem.column, problem.reason)))
            rows = [r for i, r in enumerate(rows) if i not in bad]
            sources = [s for i, s in enumerate(sources) if i not in bad]
        out.accepted.extend((row["external_id"], source.line) for row, source in zip(rows, sources, strict=True))
        inserted = record_interactions(self.app, session, rows)
        out.inserted = len(inserted)
        out.unchanged = len(rows) - len(inserted)

    def _write_customers(self, session: Session, parsed: list[tuple[SourceRow, Any]], out: BatchOutcome) -> None:
        from patron.contracts import ConsentChange
        from patron.ingest import append_consents, upsert_customers
        from patron.models import Customer, utcnow

        erased = _erased(self.app, session, [row.values["external_id"] for _, row in parsed])
        keep = parsed
        if erased:
            keep = []
            for source, row in parsed:
                if row.values["external_id"] not in erased:
                    keep.append((source, row))
                    continue
                reason = f"customer {row.values['external_id']!r} was erased (GDPR); it is not imported again"
                out.rejects.append((source, rowmod.RowError("external_id", reason)))
        out.accepted.extend([(row.values["external_id"], source.line) for source, row in keep])
        result = upsert_customers(
            self.app, session, [row.values for _, row in keep], on_conflict=self.options.on_conflict
        )
        out.inserted = len(result.inserted_ids)
        out.updated = len(result.updated_ids)
        out.unchanged = result.unchanged
        with_consent = [row for _, row in keep if row.consents]
        if not with_consent:
            return
        ids = dict(_lookup(session, Customer.external_id, Customer.id, [r.values["external_id"] for r in with_consent]))
        inserted = set(result.inserted_ids)
        if self.options.on_conflict == "skip":
            # Skipped customers are left exactly as they are, consent included.
            with_consent = [r for r in with_consent if ids[r.values["external_id"]] in inserted]
        changes = self._consent_changes(session, with_consent, ids, ConsentChange, utcnow())
        if changes:
            append_consents(self.app, session, changes)
            touched = {c.customer_id for c in changes} - inserted - set(result.updated_ids)
            out.updated += len(touched)
            out.unchanged -= len(touched)
            out.consent_changes = len(changes)

    def _consent_changes(
        self, session: Session, rows: list[rowmod.CustomerRow], ids: dict[str, int], change_type: Any, now: datetime
    ) -> list[Any]:
        from patron.consent import current_states

        purpose = rowmod.IMPORT_CONSENT_PURPOSE
        current = {
            (s.customer_id, s.channel): s.granted for s in current_states(session, ids.values()) if s.purpose == purpose
        }
        source = f"import:{self.options.path.name}"
        changes = []
        for row in rows:
            cid = ids[row.values["external_id"]]
            for channel, granted in row.consents.items():
                # Only a change of state is logged, so re-importing the same file appends nothing.
                if current.get((cid, channel)) != granted:
                    changes.append(change_type(cid, channel, purpose, granted, now, source))
        return changes


def scratch_folder(app: App) -> Path | None:
    """Where an import keeps its scratch data: beside the SQLite file, else beside the config file."""
    from sqlalchemy.engine import make_url

    url = make_url(app.settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return app.settings.path.parent if app.settings.path is not None else None


@contextmanager
def _garbage_collected_per_batch() -> Iterator[Callable[[], None]]:
    """Run the cycle collector once per batch rather than every few hundred allocations.

    A batch allocates tens of thousands of short-lived objects (cells, row
    dicts, tuples) that reference counting frees; the collector, triggered by
    allocation counts, would otherwise walk them and every object alive since
    start-up many times per batch (a sixth of an import's CPU time). Instead the
    objects alive before the import are frozen (never walked), automatic
    collection is off, and the young generations are collected after each
    batch, a full collection every ``_FULL_COLLECTION_EVERY`` batches, so
    cyclic garbage cannot pile up and memory stays flat. Everything is restored
    afterwards, whatever happens.
    """
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    batches = 0

    def collect() -> None:
        nonlocal batches
        batches += 1
        gc.collect(2 if batches % _FULL_COLLECTION_EVERY == 0 else 1)

    try:
        yield collect
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


_FULL_COLLECTION_EVERY = 50


def _batched(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _lookup(session: Session, key: Any, value: Any, wanted: list[str]) -> Iterator[tuple[Any, Any]]:
    """``(key, value)`` pairs for rows whose ``key`` is in ``wanted``: one query, whatever the count.

    The ids travel as one parameter (a JSON array on SQLite, an array on
    PostgreSQL) rather than as thousands of bound parameters that SQLAlchemy
    would name and render one by one for every batch.
    """
    if not wanted:
        return
    connection = session.connection()
    table, k, v = key.table.name, key.name, value.name
    if connection.dialect.name == "postgresql":
        found = connection.exec_driver_sql(f"SELECT {k}, {v} FROM {table} WHERE {k} = ANY(%s)", (wanted,))
    else:
        found = connection.exec_driver_sql(
            f"SELECT {k}, {v} FROM {table} WHERE {k} IN (SELECT value FROM json_each(?))", (json.dumps(wanted),)
        )
    for row in found.all():
        yield row[0], row[1]


def _erased(app: App, session: Session, external_ids: list[str]) -> set[str]:
    """Those of ``external_ids`` that belonged to a customer who has since been erased."""
    if not external_ids or not getattr(app.settings, "secret_key", None):
        # No key: nobody can have been erased by this installation.
        return set()
    from patron.models import Customer
    from patron.pseudonyms import any_erased, pseudonyms

    if not any_erased(session):
        # Nobody erased yet (a partial index answers at once): no HMAC per row, no second lookup.
        return set()
    by_pseudonym = pseudonyms(app, external_ids)
    found = _lookup(session, Customer.external_id, Customer.id, list(by_pseudonym))
    return {by_pseudonym[p] for p, _ in found}


def _extra_keys(values: dict[str, Any]) -> bool:
    return any(k not in rowmod.CUSTOMER_COLUMNS and not k.startswith(rowmod.CONSENT_PREFIX) for k in values)
