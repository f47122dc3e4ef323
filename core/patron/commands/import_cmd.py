"""``patron import customers|interactions FILE``: streaming, idempotent import.

Exit codes: 0 when every row was imported or unchanged; 8 when some rows were
rejected (the good ones are stored unless ``--strict``; the bad ones are in the
rejects file); 6 for a file that cannot be imported at all (empty, header only,
a missing required column, a wrong encoding); 5 when the database refused.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from patron.cli_options import get_app, json_option

EXIT_REJECTED = 8  # keep in step with patron.importer.runner.EXIT_REJECTED (not imported: --help stays light)


@click.group("import")
def import_group() -> None:
    """Import customers or interactions from CSV or JSON Lines (see docs/importing.md)."""


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


def _run(
    kind: str,
    *,
    file: str,
    mappings: tuple[str, ...],
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

    from patron.importer.readers import detect_format, parse_mapping
    from patron.importer.runner import ImportOptions, run_import
    from patron.ingest import audit

    app = get_app()
    path = Path(file)
    options = ImportOptions(
        kind=kind,  # type: ignore[arg-type]
        path=path,
        format=detect_format(path, file_format),
        mapping=parse_mapping(mappings),
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
