"""``patron import customers|interactions|cdnow FILE``: streaming, idempotent import.

Exit codes: 0 when every row was imported or unchanged; 8 when some rows were
rejected (the good ones are stored unless ``--strict``; the bad ones are in the
rejects file); 6 for a file that cannot be imported at all (empty, header only,
a missing required column, a wrong encoding); 5 when the database refused.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from patron.cli_options import get_app, json_option

EXIT_REJECTED = 8  # keep in step with patron.importer.runner.EXIT_REJECTED (not imported: --help stays light)


@click.group("import")
def import_group() -> None:
    """Import customers or interactions from CSV or JSON Lines, or the CDNOW log (see docs/importing.md)."""


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", type=click.Path(exists=True, dir_okay=False)),
        click.option(
            "--map",
            "mappings",
            multiple=True,
            metavar="SRC=DST",
            help="Rename a column of the file to a Patron column (repeatable).",
        ),
        click.option(
            "--set",
            "constants",
            multiple=True,
            metavar="COLUMN=VALUE",
            help="Give every row a column the file lacks, e.g. --set kind=purchase --set currency=USD (repeatable).",
        ),
        click.option(
            "--date-format",
            metavar="FORMAT",
            help="strptime format of the date columns (default: ISO 8601), e.g. %d/%m/%Y.",
        ),
        click.option(
            "--input-format",
            "file_format",
            type=click.Choice(["csv", "jsonl"]),
            help="File format (default: from the extension; .jsonl/.ndjson are JSON Lines).",
        ),
        click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file."),
        click.option("--strict", is_flag=True, help="Write nothing at all if any row is rejected."),
        click.option(
            "--rejects",
            "rejects_path",
            type=click.Path(dir_okay=False),
            metavar="PATH",
            help="Where rejected rows go (default: FILE.rejects.csv next to FILE).",
        ),
        click.option("--batch-size", type=int, default=5000, show_default=True, help="Rows per transaction."),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


@import_group.command("customers")
@_options
@click.option(
    "--on-conflict",
    type=click.Choice(["update", "skip"]),
    default="update",
    show_default=True,
    help="What to do with a customer that already exists (matched on external_id).",
)
def customers(**kwargs: Any) -> None:
    """Import customers: external_id, name, email, phone, created_at, consent_<channel>, extra columns."""
    _run("customers", **kwargs)


@import_group.command("interactions")
@_options
def interactions(**kwargs: Any) -> None:
    """Import interactions: external_id, customer_external_id, kind, occurred_at, amount, currency, channel."""
    _run("interactions", on_conflict="update", **kwargs)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cycle collection while the importer's modules (SQLAlchemy, the models) load and the app is built.

    Start-up allocates hundreds of thousands of objects that live as long as the
    process; the collector, triggered by allocation counts, would walk them again
    and again for nothing (a sixth of the start-up's CPU time).
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(
    kind: str,
    *,
    file: str,
    mappings: tuple[str, ...],
    constants: tuple[str, ...],
    date_format: str | None,
    file_format: str | None,
    encoding: str,
    strict: bool,
    rejects_path: str | None,
    batch_size: int,
    as_json: bool,
    on_conflict: str,
) -> None:
    import json
    from pathlib import Path

    with _collector_paused():
        from patron.importer.readers import detect_format, parse_constants, parse_mapping
        from patron.importer.runner import ImportOptions, run_import
        from patron.ingest import audit

        app = get_app()
    path = Path(file)
    options = ImportOptions(
        kind=kind,  # type: ignore[arg-type]
        path=path,
        format=detect_format(path, file_format),
        mapping=parse_mapping(mappings),
        constants=parse_constants(constants),
        date_format=date_format,
        on_conflict=on_conflict,  # type: ignore[arg-type]
        strict=strict,
        rejects_path=Path(rejects_path) if rejects_path else None,
        batch_size=batch_size,
        encoding=encoding,
    )
    show_progress = not as_json and sys.stderr.isatty()
    if show_progress:
        import time

        started = time.monotonic()

        def speed(rows: int | None) -> str:
            if not rows:
                return ""
            return f"{rows:,} rows, {rows / max(time.monotonic() - started, 1e-6):,.0f} rows/s"

        with click.progressbar(
            length=path.stat().st_size, label=f"Importing {kind}", file=sys.stderr, item_show_func=speed
        ) as bar:
            summary = run_import(app, options, progress=lambda done, rows: bar.update(done, rows))
    else:
        summary = run_import(app, options)
    with app.transaction() as session:
        audit(
            session,
            f"import.{kind}",
            kind,
            None,
            {k: v for k, v in summary.as_dict().items() if k not in ("file", "rejects_file", "kind")},
        )
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        counts = (
            f"{summary.inserted} inserted, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.rejected} rejected"
        )
        click.echo(f"{path.name}: {summary.rows} rows: {counts}")
        if summary.consent_changes:
            click.echo(f"consent log: {summary.consent_changes} entries appended")
        if summary.rejected:
            click.echo(f"rejected rows (line, column, reason, row): {summary.rejects_file}", err=True)
        if not summary.written:
            click.echo("--strict: nothing was written; fix the rejected rows and run the import again", err=True)
    if summary.rejected:
        sys.exit(EXIT_REJECTED)


@import_group.command("cdnow")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Import only the first N purchases.")
@json_option
def cdnow(file: str, limit: int | None, as_json: bool) -> None:
    """Import the CDNOW purchase log (CDNOW_master.txt or a sample of it): customers, then their purchases.

    Each line is 'customer_id YYYYMMDD cds dollars'; purchases become interactions of
    kind purchase in USD with payload cds. Re-importing the same file changes nothing.
    """
    import json
    import tempfile
    from pathlib import Path

    from patron.errors import InputError

    with _collector_paused():
        from patron.importer.cdnow import write_cdnow_csv
        from patron.importer.runner import ImportOptions, run_import
        from patron.ingest import audit

        app = get_app()
    source = Path(file)
    summaries = {}
    with tempfile.TemporaryDirectory(prefix="patron-cdnow-") as folder:
        try:
            converted = write_cdnow_csv(source, folder, limit=limit)
        except (ValueError, UnicodeDecodeError) as exc:  # a line that is not CDNOW's format
            raise InputError(f"{exc}; is it the CDNOW purchase log?") from None
        with converted[1].open(encoding="utf-8") as purchases:
            if next(purchases, None) is not None and next(purchases, None) is None:
                raise InputError(
                    f"{source} has no purchase lines ('customer_id YYYYMMDD cds dollars'); "
                    "is it the CDNOW purchase log?"
                )
        for kind, path in zip(("customers", "interactions"), converted, strict=True):
            rejects = source.with_name(f"{source.name}.{kind}.rejects.csv")
            summary = run_import(app, ImportOptions(kind, path, rejects_path=rejects))  # type: ignore[arg-type]
            summary.file = str(source)
            summaries[kind] = summary
            with app.transaction() as session:
                audit(session, f"import.{kind}", kind, None, {"source": "cdnow", "rows": summary.rows})
    if as_json:
        click.echo(json.dumps({kind: summary.as_dict() for kind, summary in summaries.items()}, indent=2))
    else:
        for kind, summary in summaries.items():
            click.echo(
                f"{source.name}: {summary.rows} {kind}: {summary.inserted} inserted, {summary.unchanged} unchanged, "
                f"{summary.rejected} rejected"
            )
    rejected = [summary.rejects_file for summary in summaries.values() if summary.rejected]
    if rejected:
        click.echo(f"rejected rows (line, column, reason, row): {', '.join(map(str, rejected))}", err=True)
        sys.exit(EXIT_REJECTED)
