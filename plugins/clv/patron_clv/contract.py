"""What this plugin takes from the core contract: the one place it is named.

- Interaction kinds and the refund link: a purchase is kind ``purchase``; a
  refund is kind ``refund`` with a positive amount and ``payload["refund_of"]``
  naming the refunded purchase's ``external_id`` (same customer, same currency).
- A currency's exponent (minor-unit digits), to fit spend in major units.
- The running app inside a CLI command.

(Contract 1.1 moves these to ``patron.kinds``, ``patron.money`` and
``patron.cli_options``; only this module changes when they land.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

PURCHASE = "purchase"
REFUND = "refund"
REFUND_OF = "refund_of"


def exponent(currency: str | None) -> int:
    """Minor-unit digits of ``currency`` (2 when unknown or None)."""
    from patron.importer.money import CURRENCY_EXPONENTS

    return CURRENCY_EXPONENTS.get(currency or "", 2)


def cli_app() -> App:
    """The app of the running ``patron`` command."""
    from patron.cli import get_state

    return get_state().app


def find_customer(session: Session, ref: str) -> tuple[int, str]:
    """Resolve a customer by external id, or by internal id when ``ref`` is ``#<id>`` or all digits."""
    from sqlalchemy import select

    from patron.errors import NotFoundError
    from patron.models import Customer

    row = session.execute(select(Customer.id, Customer.external_id).where(Customer.external_id == ref)).first()
    if row is None and ref.lstrip("#").isdigit():
        row = session.execute(
            select(Customer.id, Customer.external_id).where(Customer.id == int(ref.lstrip("#")))
        ).first()
    if row is None:
        raise NotFoundError(f"no customer with external id or id {ref!r}; check 'patron customers search'")
    return int(row[0]), str(row[1])
