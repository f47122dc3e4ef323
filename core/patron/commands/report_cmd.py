"""``patron report list|run``: list the registered reports and render one.

Output: stdout unless ``-o``. ``--all -o DIR/`` runs every report into DIR and
writes ``DIR/index.html``, the dashboard (``patron.reports.dashboard``).
CSV writes one document per table; a report with
several tables needs ``-o DIR`` (created if missing) and gets one
``NAME-TABLE.csv`` per table; with one table ``-o`` may name a file or an
existing directory. Each run writes one audit row (report name, format; no
personal data), since a report may show customers' names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from patron.cli_options import FILE_FORMATS, format_option, get_app, json_option

if TYPE_CHECKING:
    from patron.app import App


@click.group()
def report() -> None:
    """List and run reports (from the core and the enabled plugins)."""


@report.command("list")
@json_option
def list_reports(as_json: bool) -> None:
    """List every registered report with its parameters."""
    import json

    from patron.commands import unchecked_app
    from patron.reports.params import describe_params, params_as_json

    reports = unchecked_app().reports  # registering a report reads no plugin config
    if as_json:
        doc = [
            {
                "name": r.name,
                "title": r.title,
                "description": r.description,
                "plugin": reports.suppliers[r.name],
                "params": params_as_json(r.params),
            }
            for r in reports.values()
        ]
        click.echo(json.dumps(doc, indent=2))
        return
    if not len(reports):
        click.echo("No reports registered. Enable a plugin that provides reports ('patron plugins list').")
        return
    for r in reports.values():
        click.echo(f"{r.name}  —  {r.title}  [plugin {reports.suppliers[r.name]}]")
        if r.description:
            click.echo(f"  {r.description}")
        for line in describe_params(r).splitlines()[1:]:
            click.echo(f"  {line}")
        click.echo("")
    click.echo("Run one with: patron report run NAME --format html -o NAME.html [--param name=value ...]")


def _complete_report(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Report names for shell completion: those of the core and the enabled plugins."""
    from patron.errors import PatronError

    state = getattr(ctx.find_root().command, "state", None)  # the group's callback has not run while completing
    try:
        names = list(state.unchecked_app.reports) if state is not None else []
    except PatronError:  # a broken config or plugin: offer nothing rather than an error inside the shell
        return []
    return sorted(name for name in names if name.startswith(incomplete))


@report.command("run")
@click.argument("name", required=False, shell_complete=_complete_report)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Run every report into -o DIR/ (NAME.html each) and write DIR/index.html, a dashboard of them all.",
)
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A report parameter (repeatable).")
@format_option(
    choices=(*FILE_FORMATS, "text"),
    help="html, md, csv, json or text (default: text on a terminal, else from -o's extension, else html).",
)
@click.option(
    "--output",
    "-o",
    "output",
    metavar="PATH",
    help="Write to this file, or into this folder when PATH ends with / or is a directory (NAME.html, NAME-TABLE.csv).",
)
@click.option(
    "--csv-safe/--no-csv-safe",
    default=True,
    show_default=True,
    help="Prefix CSV cells starting with = + - @ (formulas) with ' so spreadsheets show them as text.",
)
def run_cmd(
    name: str | None, run_all: bool, params: tuple[str, ...], fmt: str | None, output: str | None, csv_safe: bool
) -> None:
    """Run report NAME: a text view on a terminal, or HTML, Markdown, CSV or JSON (-o FILE or -o DIR/).

    With --all instead of NAME: every report into -o DIR/, and DIR/index.html, a dashboard of their
    headline numbers and main charts.
    """
    from patron.errors import InputError
    from patron.reports.output import write_outputs
    from patron.reports.progress import report_progress
    from patron.reports.render import render
    from patron.reports.runner import run_report

    if run_all:
        if name is not None:
            raise InputError(f"give a report NAME or --all, not both (got {name!r} and --all)")
        if params:
            raise InputError("--param needs one report: parameters differ between reports, so --all runs defaults")
        if output is None:
            raise InputError("--all writes one file per report and an index.html: give -o DIR/")
        _run_all(fmt or "html", output, csv_safe)
        return
    if name is None:
        raise InputError("give the NAME of a report ('patron report list' shows them), or --all -o DIR/")
    fmt = fmt or _default_format(output)
    app = get_app()
    with report_progress(app.engine, name):  # a status line on stderr, only on a terminal
        run = run_report(app, name, params)
    docs = render(run, fmt, csv_safe=csv_safe)  # type: ignore[arg-type]
    written = write_outputs(name, fmt, docs, output)
    _audit(app, name, fmt)
    if written is None:
        click.echo(docs[""] if "" in docs else next(iter(docs.values())), nl=False)
    else:
        for path in written:
            click.echo(f"Wrote {path}", err=True)


def _run_all(fmt: str, output: str, csv_safe: bool) -> None:
    """Every report (the core's first) into the folder ``output`` and its dashboard as ``index.html``."""
    import os
    from pathlib import Path

    from patron.errors import InputError
    from patron.reports.dashboard import Card, render_dashboard
    from patron.reports.output import write_file, write_outputs
    from patron.reports.render import render
    from patron.reports.runner import run_report

    if fmt == "text":
        raise InputError("--all writes files for a browser: use --format html (the default), md, csv or json")
    # -o DIR (no trailing slash) still means a folder here: --all always writes several files.
    folder = output if output.endswith(("/", os.sep)) else output + "/"
    app = get_app()
    reports = app.reports
    cards = []
    for name in sorted(reports, key=lambda n: reports.suppliers[n] != "core"):
        run = run_report(app, name)
        written = write_outputs(name, fmt, render(run, fmt, csv_safe=csv_safe), folder) or []  # type: ignore[arg-type]
        _audit(app, name, fmt)
        for path in written:
            click.echo(f"Wrote {path}", err=True)
        if written:
            others = {path.name: path.name for path in written[1:]}
            cards.append(Card(written[0].name, run, others))
    index = write_file(Path(folder) / "index.html", render_dashboard(cards, title="Patron reports"))
    click.echo(f"Wrote {index}   <- the dashboard: open it in a browser", err=True)


def _default_format(output: str | None) -> str:
    """No ``-f``: the text view on a terminal; else the format ``-o``'s extension names; else HTML."""
    import sys

    from patron.reports.output import is_folder

    if output is None:
        return "text" if sys.stdout.isatty() else "html"
    suffix = "" if is_folder(output) else output.rsplit(".", 1)[-1].lower() if "." in output else ""
    return {
        "htm": "html",
        "html": "html",
        "md": "md",
        "markdown": "md",
        "csv": "csv",
        "json": "json",
        "txt": "text",
    }.get(suffix, "html")


def _audit(app: App, name: str, fmt: str) -> None:
    from patron.ingest import audit

    with app.transaction() as session:
        audit(session, "report.run", "report", name, {"format": fmt})
