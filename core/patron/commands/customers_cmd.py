"""``patron customers show|search|export|erase``: the customer 360 and privacy rights.

Each command writes one audit row (ids and counts, never personal data), since
each reads, exports or erases personal data.
"""

from __future__ import annotations

from typing import Any

import click

from patron.cli_options import get_app
from patron.terminal import clean


@click.group()
def customers() -> None:
    """Look up, export and erase customers."""


@customers.command()
@click.argument("ref", metavar="ID")
@click.option("--limit", default=10, show_default=True, help="How many recent interactions to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(ref: str, limit: int, as_json: bool) -> None:
    """Show one customer (external id, or #123 for an internal id): data, activity, consent, panels."""
    import json

    from patron.commands import unchecked_app
    from patron.customer360 import build_view, plain, render_text

    app = unchecked_app()  # the view reads no plugin config (a panel that does gets it validated)
    with app.transaction() as session:
        view = build_view(app, session, ref, limit=limit)
    if as_json:
        click.echo(json.dumps(view, indent=2, default=plain))
    else:
        click.echo(render_text(view))


@customers.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="At most this many results.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def search(query: str, limit: int, as_json: bool) -> None:
    """Find customers whose name or email contains QUERY (case-insensitive)."""
    import json

    from patron.customer360 import search_customers

    app = get_app()
    with app.transaction() as session:
        found = search_customers(session, query, limit=limit)
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    if not found:
        click.echo(f"no customer's name or email contains {query!r}")
        return
    for c in found:
        click.echo(clean(f"#{c['id']:<8} {c['external_id']:<20} {c['name'] or '-':<30} {c['email'] or '-'}"))


@customers.command()
@click.argument("ref", metavar="ID")
@click.option("-o", "--output", metavar="PATH", help="Write to this file (default: stdout).")
def export(ref: str, output: str | None) -> None:
    """Export everything held about one customer as JSON (GDPR right of access)."""
    import json
    from pathlib import Path

    from patron.privacy import export_customer, find_customer
    from patron.reports.output import write_file

    app = get_app()
    with app.transaction() as session:
        data = export_customer(app, session, find_customer(session, ref, app).id)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if output:
        write_file(Path(output), text + "\n", shown=output)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@customers.command()
@click.argument("ref", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def erase(ref: str, yes: bool, as_json: bool) -> None:
    """Erase one customer's personal data everywhere (GDPR erasure); amounts and dates stay."""
    import json

    from patron.privacy import erase_customer, find_customer, scrub_storage

    app = get_app()
    with app.transaction() as session:
        customer_id = find_customer(session, ref, app).id
    if not yes:
        click.confirm(f"Erase the personal data of customer #{customer_id}? This cannot be undone", abort=True)
    result: dict[str, Any]
    with app.transaction(immediate=True) as session:
        result = erase_customer(app, session, customer_id)
    # Old row versions hold the erased values until purged (PostgreSQL: VACUUM; SQLite: the WAL).
    result["storage"] = scrub_storage(app)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    elif result["already_erased"]:
        click.echo(f"customer #{customer_id} was already erased; checked again, nothing left to erase")
    else:
        click.echo(f"erased customer #{customer_id}; {result['interactions_kept']} interactions kept without payload")
