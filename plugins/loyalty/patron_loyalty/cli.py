"""``patron loyalty …``: balance, history, redeem, adjust, expire, tiers list|recompute, check.

Only click is imported at module level; everything else inside the commands.
CUSTOMER is a customer's ``external_id`` (or ``#<internal id>``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click


def _app() -> Any:
    from patron.cli import get_state

    return get_state().app


def _customer_id(session: Any, ref: str) -> int:
    from sqlalchemy import select

    from patron.errors import NotFoundError
    from patron.models import Customer

    if ref.startswith("#") and ref[1:].isdigit():
        found = session.scalar(select(Customer.id).where(Customer.id == int(ref[1:])))
    else:
        found = session.scalar(select(Customer.id).where(Customer.external_id == ref))
    if found is None:
        raise NotFoundError(f"no customer {ref!r}: give the customer's external id (or #<internal id>)")
    return int(found)


def _as_of(value: datetime | None) -> datetime:
    from datetime import UTC

    from patron.models import utcnow

    if value is None:
        return utcnow()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


AS_OF = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Take this date (UTC) as now; default: now.",
)
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@click.group()
def loyalty() -> None:
    """Loyalty points and tiers."""


@loyalty.command()
@click.argument("customer")
@FORMAT
def balance(customer: str, fmt: str) -> None:
    """Show a customer's points balance and tier."""
    from patron_loyalty.ledger import balance as get_balance
    from patron_loyalty.models import LoyaltyTier

    app = _app()
    with app.transaction() as session:
        cid = _customer_id(session, customer)
        points = get_balance(session, cid)
        tier = session.get(LoyaltyTier, cid)
        data = {"customer": customer, "points": points, "tier": tier.tier if tier else None}
    click.echo(json.dumps(data) if fmt == "json" else f"{customer}: {points} points, tier {data['tier'] or '-'}")


@loyalty.command()
@click.argument("customer")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@FORMAT
def history(customer: str, limit: int, fmt: str) -> None:
    """List a customer's ledger entries, newest first."""
    from sqlalchemy import select

    from patron_loyalty.models import LedgerEntry

    app = _app()
    with app.transaction() as session:
        cid = _customer_id(session, customer)
        rows = session.execute(
            select(LedgerEntry.id, LedgerEntry.occurred_at, LedgerEntry.kind, LedgerEntry.points, LedgerEntry.reason)
            .where(LedgerEntry.customer_id == cid)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        ).all()
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"id": i, "occurred_at": o.isoformat(), "kind": k, "points": p, "reason": r} for i, o, k, p, r in rows]
            )
        )
        return
    for i, o, k, p, r in rows:
        click.echo(f"{i:>8}  {o:%Y-%m-%d %H:%M}  {k:<8} {p:>+10}  {r or ''}")


@loyalty.command()
@click.argument("customer")
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@click.option("--key", default=None, help="Idempotency key: repeating the command with it changes nothing.")
def redeem(customer: str, points: int, reason: str, key: str | None) -> None:
    """Redeem POINTS; refused when the balance is short."""
    from patron_loyalty.redemption import redeem as do_redeem

    app = _app()
    with app.transaction() as session:
        cid = _customer_id(session, customer)
    posted = do_redeem(app, cid, points, reason, key)
    note = " (already recorded with this key)" if posted.replayed else ""
    click.echo(f"redeemed {points} points from {customer}{note}; balance {posted.balance}")


@loyalty.command()
@click.argument("customer")
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (kept in the ledger and the audit log).")
@click.option("--key", default=None, help="Idempotency key: repeating the command with it changes nothing.")
def adjust(customer: str, points: int, reason: str, key: str | None) -> None:
    """Add (or, negative, remove) POINTS by hand; audited."""
    from patron_loyalty.redemption import adjust as do_adjust

    app = _app()
    with app.transaction() as session:
        cid = _customer_id(session, customer)
    posted = do_adjust(app, cid, points, reason, key)
    click.echo(f"adjusted {customer} by {points:+} points; balance {posted.balance}")


@loyalty.command()
@AS_OF
def expire(as_of: datetime | None) -> None:
    """Expire the unconsumed points of every lot past its expiry (running it twice changes nothing)."""
    from patron_loyalty.expiry import expire as do_expire

    count = do_expire(_app(), _as_of(as_of))
    click.echo(f"expired {count} lots")


@loyalty.group()
def tiers() -> None:
    """Tier schemes and tier reviews."""


@tiers.command("list")
def tiers_list() -> None:
    """List the tier schemes, the active one, and how many customers each tier holds."""
    from sqlalchemy import func, select

    from patron_loyalty.models import LoyaltyTier

    app = _app()
    config = app.plugin_config("loyalty")
    with app.transaction() as session:
        counts = dict(
            ((s, t), n)
            for s, t, n in session.execute(
                select(LoyaltyTier.scheme, LoyaltyTier.tier, func.count()).group_by(
                    LoyaltyTier.scheme, LoyaltyTier.tier
                )
            )
        )
    for name in app.tier_schemes:
        scheme = app.tier_schemes[name]
        mark = "*" if name == config.tier_scheme else " "
        click.echo(f"{mark} {name}: {scheme.description}")
        for tier in scheme.tiers:
            click.echo(f"    {tier:<12} {counts.get((name, tier), 0):>8}")


@tiers.command("recompute")
@AS_OF
def tiers_recompute(as_of: datetime | None) -> None:
    """Review every customer's tier under the active scheme and record the changes."""
    from patron.db import run_transaction
    from patron_loyalty.tiers import recompute

    app = _app()
    when = _as_of(as_of)
    result = run_transaction(app.sessions, lambda session: recompute(app, session, when), immediate=True)
    click.echo(
        f"scheme {result.scheme}: {result.placed} customers reviewed, {result.changed} changed "
        f"({result.upgrades} up, {result.downgrades} down)"
    )


@loyalty.command()
def check() -> None:
    """Verify the ledger: balances equal ledger sums, lots add up; exit 1 when anything is off."""
    from patron_loyalty.ledger import check as run_check

    app = _app()
    with app.transaction() as session:
        problems = run_check(session)
    if not problems:
        click.echo("ledger ok")
        return
    for p in problems:
        click.echo(f"{p.rule}: customer {p.customer_id}: {p.detail}", err=True)
    raise SystemExit(1)
