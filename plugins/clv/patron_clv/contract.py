"""What this plugin takes from the core contract (1.1), named in one place.

- Interaction kinds and the refund link (``patron.kinds``): a purchase is kind
  ``purchase``; a refund is kind ``refund`` with a positive amount and
  ``payload["refund_of"]`` naming the refunded purchase's ``external_id``.
- A currency's exponent (``patron.money``), to fit spend in major units.
"""

from __future__ import annotations

from patron.kinds import PURCHASE, REFUND, REFUND_OF

__all__ = ["PURCHASE", "REFUND", "REFUND_OF", "exponent"]


def exponent(currency: str | None) -> int:
    """Minor-unit digits of ``currency`` (2 when the data name no currency)."""
    from patron.money import exponent as iso_exponent

    return 2 if currency is None else iso_exponent(currency)
