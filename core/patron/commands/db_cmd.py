"""``patron db upgrade|status|vacuum``: apply and inspect migrations; purge erased data from storage."""

from __future__ import annotations

import click

from patron.cli_options import echo_json, get_app, json_option


@click.group()
def db() -> None:
    """Create, migrate and inspect the database."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration (core first, then each enabled plugin)."""
    from patron.migrate import upgrade as run_upgrade

    app = get_app()
    for status in run_upgrade(app.engine, app.migration_branches()):
        click.echo(f"{status.branch}: at {', '.join(status.current) or 'nothing'}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """Show, for each branch, the applied and the newest revision. Exit 1 when behind."""
    import json

    from patron.migrate import status as branch_status

    app = get_app()
    statuses = branch_status(app.engine, app.migration_branches())
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"branch": s.branch, "current": list(s.current), "heads": list(s.heads), "up_to_date": s.up_to_date}
                    for s in statuses
                ],
                indent=2,
            )
        )
    else:
        for s in statuses:
            state = "up to date" if s.up_to_date else "PENDING: run 'patron db upgrade'"
            click.echo(f"{s.branch:<16} applied {', '.join(s.current) or '-':<24} newest {', '.join(s.heads)}  {state}")
    if not all(s.up_to_date for s in statuses):
        raise SystemExit(1)


@db.command()
@click.option("--full", is_flag=True, help="Rewrite the whole database/tables (SQLite VACUUM, PostgreSQL VACUUM FULL).")
@json_option
def vacuum(full: bool, as_json: bool) -> None:
    """Purge old row versions of erased data from storage (run after erasures; also done by 'customers erase').

    SQLite: checkpoint and truncate the WAL (deleted values are already zeroed:
    secure_delete is on). PostgreSQL: VACUUM the tables erasure touches.
    """
    from patron.privacy import scrub_storage

    done = scrub_storage(get_app(), full=full)
    if as_json:
        echo_json({"done": done})
        return
    for line in done:
        click.echo(line)
