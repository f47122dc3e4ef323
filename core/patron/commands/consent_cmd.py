"""``patron consent grant|revoke|show``: append to and read the consent log."""

from __future__ import annotations

import click

from patron.cli_options import get_app
from patron.terminal import clean


@click.group()
def consent() -> None:
    """Grant, revoke and show customers' consent (an append-only log)."""


def _change(ref: str, channel: str, purpose: str, granted: bool, source: str) -> None:
    from patron.consent import record
    from patron.ingest import audit
    from patron.privacy import find_customer

    app = get_app()
    with app.transaction(immediate=True) as session:
        customer = find_customer(session, ref, app)
        if customer.erased_at is not None:
            from patron.errors import InputError

            raise InputError(f"customer #{customer.id} was erased; consent cannot be recorded for it")
        record(app, session, customer.id, channel=channel, purpose=purpose, granted=granted, source=source)
        audit(
            session,
            "consent.grant" if granted else "consent.revoke",
            "customer",
            customer.id,
            {"channel": channel, "purpose": purpose},
        )
    click.echo(f"customer #{customer.id}: {channel}/{purpose} {'granted' if granted else 'revoked'}")


_channel = click.option("--channel", default="email", show_default=True, help="The channel, e.g. email, sms.")
_purpose = click.option("--purpose", default="marketing", show_default=True, help="What the consent is for.")
_source = click.option("--source", default="cli", show_default=True, help="Where the consent was given.")


@consent.command()
@click.argument("ref", metavar="ID")
@_channel
@_purpose
@_source
def grant(ref: str, channel: str, purpose: str, source: str) -> None:
    """Record that customer ID grants consent."""
    _change(ref, channel, purpose, True, source)


@consent.command()
@click.argument("ref", metavar="ID")
@_channel
@_purpose
@_source
def revoke(ref: str, channel: str, purpose: str, source: str) -> None:
    """Record that customer ID revokes consent."""
    _change(ref, channel, purpose, False, source)


@consent.command()
@click.argument("ref", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(ref: str, as_json: bool) -> None:
    """Show customer ID's current consent per channel and purpose."""
    import json

    from patron.consent import current_states
    from patron.ingest import audit
    from patron.privacy import find_customer

    app = get_app()
    with app.transaction() as session:
        customer = find_customer(session, ref, app)
        states = current_states(session, [customer.id])
        audit(session, "consent.view", "customer", customer.id, {"entries": len(states)})
    rows = [
        {
            "channel": s.channel,
            "purpose": s.purpose,
            "granted": s.granted,
            "since": s.occurred_at.isoformat(),
            "source": s.source,
        }
        for s in states
    ]
    if as_json:
        click.echo(json.dumps({"customer_id": customer.id, "consent": rows}, indent=2))
        return
    if not rows:
        click.echo(f"customer #{customer.id}: no consent recorded (nothing may be sent)")
    for r in rows:
        state = "granted" if r["granted"] else "revoked"
        click.echo(clean(f"{r['channel']:<10} {r['purpose']:<12} {state:<8} since {r['since']} ({r['source']})"))
