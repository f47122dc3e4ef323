"""``patron loyalty …``: balance, history, redeem, adjust, expire, tiers list|recompute, check.

Only click is imported at module level; everything else inside the commands.
CUSTOMER is a customer's ``external_id`` (or ``#<internal id>``), resolved as
``patron customers show`` resolves it; data-printing commands take ``--json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from patron.cli_options import CustomerRef, as_of_option, customer_argument, echo_json, get_app, json_option


def _now(as_of: datetime | None) -> datetime:
    from patron.models import utcnow

    return as_of or utcnow()


@click.group()
def loyalty() -> None:
    """Loyalty points and tiers."""


@loyalty.command()
@customer_argument()
@json_option
def balance(customer: CustomerRef, as_json: bool) -> None:
    """Show a customer's points balance and tier."""
    from patron_loyalty.ledger import balance as get_balance
    from patron_loyalty.models import LoyaltyTier

    app = get_app()
    with app.transaction() as session:
        points = get_balance(session, customer.id)
        tier = session.get(LoyaltyTier, customer.id)
        data = {"customer": customer.external_id, "points": points, "tier": tier.tier if tier else None}
    if as_json:
        echo_json(data)
    else:
        click.echo(f"{customer.external_id}: {points} points, tier {data['tier'] or '-'}")


@loyalty.command()
@customer_argument()
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
def history(customer: CustomerRef, limit: int, as_json: bool) -> None:
    """List a customer's ledger entries, newest first."""
    from sqlalchemy import select

    from patron_loyalty.models import LedgerEntry

    app = get_app()
    with app.transaction() as session:
        rows = session.execute(
            select(LedgerEntry.id, LedgerEntry.occurred_at, LedgerEntry.kind, LedgerEntry.points, LedgerEntry.reason)
            .where(LedgerEntry.customer_id == customer.id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        ).all()
    if as_json:
        echo_json(
            [{"id": i, "occurred_at": o.isoformat(), "kind": k, "points": p, "reason": r} for i, o, k, p, r in rows]
        )
        return
    for i, o, k, p, r in rows:
        click.echo(f"{i:>8}  {o:%Y-%m-%d %H:%M}  {k:<8} {p:>+10}  {r or ''}")


@loyalty.command()
@customer_argument()
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@click.option("--key", default=None, help="Idempotency key: repeating the command with it changes nothing.")
@json_option
def redeem(customer: CustomerRef, points: int, reason: str, key: str | None, as_json: bool) -> None:
    """Redeem POINTS; refused when the balance is short."""
    from patron_loyalty.redemption import redeem as do_redeem

    posted = do_redeem(get_app(), customer.id, points, reason, key)
    if as_json:
        echo_json(_posted(customer, -points, posted))
        return
    note = " (already recorded with this key)" if posted.replayed else ""
    click.echo(f"redeemed {points} points from {customer.external_id}{note}; balance {posted.balance}")


@loyalty.command()
@customer_argument()
@click.argument("points", type=int)
@click.option("--reason", required=True, help="Why (kept in the ledger and the audit log).")
@click.option("--key", default=None, help="Idempotency key: repeating the command with it changes nothing.")
@json_option
def adjust(customer: CustomerRef, points: int, reason: str, key: str | None, as_json: bool) -> None:
    """Add (or, negative, remove) POINTS by hand; audited."""
    from patron_loyalty.redemption import adjust as do_adjust

    posted = do_adjust(get_app(), customer.id, points, reason, key)
    if as_json:
        echo_json(_posted(customer, points, posted))
        return
    click.echo(f"adjusted {customer.external_id} by {points:+} points; balance {posted.balance}")


@loyalty.command()
@as_of_option(help="Expire lots due at or before this UTC date (00:00) or date-time; default: now.")
@json_option
def expire(as_of: datetime | None, as_json: bool) -> None:
    """Expire the unconsumed points of every lot past its expiry (running it twice changes nothing)."""
    from patron_loyalty.expiry import expire as do_expire

    when = _now(as_of)
    count = do_expire(get_app(), when)
    if as_json:
        echo_json({"as_of": when.isoformat(), "expired_lots": count})
        return
    click.echo(f"expired {count} lots")


@loyalty.group()
def tiers() -> None:
    """Tier schemes and tier reviews."""


@tiers.command("list")
@json_option
def tiers_list(as_json: bool) -> None:
    """List the tier schemes, the active one, and how many customers each tier holds."""
    from sqlalchemy import func, select

    from patron_loyalty.config import LoyaltyConfig
    from patron_loyalty.models import LoyaltyTier

    app = get_app()
    config = app.plugin_config("loyalty", LoyaltyConfig)
    with app.transaction() as session:
        counts = dict(
            ((s, t), n)
            for s, t, n in session.execute(
                select(LoyaltyTier.scheme, LoyaltyTier.tier, func.count()).group_by(
                    LoyaltyTier.scheme, LoyaltyTier.tier
                )
            )
        )
    if as_json:
        echo_json(
            [
                {
                    "scheme": name,
                    "active": name == config.tier_scheme,
                    "description": app.tier_schemes[name].description,
                    "tiers": {tier: counts.get((name, tier), 0) for tier in app.tier_schemes[name].tiers},
                }
                for name in app.tier_schemes
            ]
        )
        return
    for name in app.tier_schemes:
        scheme = app.tier_schemes[name]
        mark = "*" if name == config.tier_scheme else " "
        click.echo(f"{mark} {name}: {scheme.description}")
        for tier in scheme.tiers:
            click.echo(f"    {tier:<12} {counts.get((name, tier), 0):>8}")


@tiers.command("recompute")
@as_of_option()
@json_option
def tiers_recompute(as_of: datetime | None, as_json: bool) -> None:
    """Review every customer's tier under the active scheme and record the changes."""
    from patron.sql import run_transaction
    from patron_loyalty.tiers import recompute

    app = get_app()
    when = _now(as_of)
    result = run_transaction(app, lambda session: recompute(app, session, when), immediate=True)
    if as_json:
        keys = ("scheme", "placed", "changed", "upgrades", "downgrades", "first")
        echo_json({"as_of": when.isoformat(), **{key: getattr(result, key) for key in keys}})
        return
    click.echo(f"scheme {result.scheme}: {result.placed} customers reviewed, {result.describe()}")


@loyalty.command()
@json_option
def check(as_json: bool) -> None:
    """Verify the ledger: balances equal ledger sums, lots add up; exit 1 when anything is off."""
    from patron_loyalty.ledger import check as run_check

    with get_app().transaction() as session:
        problems = run_check(session)
    if as_json:
        echo_json({"ok": not problems, "problems": [p.__dict__ for p in problems]})
        if problems:
            raise SystemExit(1)
        return
    if not problems:
        click.echo("ledger ok")
        return
    for p in problems:
        click.echo(f"{p.rule}: customer {p.customer_id}: {p.detail}", err=True)
    raise SystemExit(1)


def _posted(customer: CustomerRef, points: int, posted: Any) -> dict[str, Any]:
    return {
        "customer": customer.external_id,
        "points": points,
        "balance": posted.balance,
        "entry_id": posted.entry_id,
        "replayed": posted.replayed,
    }
