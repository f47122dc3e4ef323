"""The core's interaction kinds and the refund convention, declared once for the core and every plugin.

Kinds (``Interaction.kind``): ``purchase``, ``refund``, ``email_sent``,
``email_bounced``, ``survey_response``, ``call``, ``ticket``, ``visit``. Plugins
register more through ``patron_interaction_kinds``; the core registers these
the same way (``CORE_KINDS``).

The refund convention:

- A purchase has a positive ``amount_minor`` and a ``currency``.
- A refund is an interaction of kind ``refund`` with a **positive**
  ``amount_minor`` (the money given back), the **same currency** as the purchase,
  the **same customer**, and ``payload["refund_of"]`` (``REFUND_OF``) set to the
  refunded purchase's ``external_id``. Several partial refunds may name one purchase.
- Net revenue is purchases minus refunds: ``net_amount`` is the one SQL
  expression for it, and every report, scoring model and loyalty rule uses it.

``patron import interactions`` enforces the convention (``patron.importer.refunds``,
in the domain layer, since it reads the database): a refund naming an
unknown purchase (earlier rows of the same file count as known), another
customer's purchase, an interaction that is not a purchase, another currency,
or a missing, zero or negative amount is a rejected row with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from patron.contracts import InteractionKind

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

PURCHASE = "purchase"
REFUND = "refund"
EMAIL_SENT = "email_sent"
EMAIL_BOUNCED = "email_bounced"
SURVEY_RESPONSE = "survey_response"
CALL = "call"
TICKET = "ticket"
VISIT = "visit"

#: The payload key of a refund naming the refunded purchase's ``external_id``.
REFUND_OF = "refund_of"


def check_refund_payload(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(column, reason)`` when a refund's payload does not name its purchase as text, else None."""
    value = payload.get(REFUND_OF)
    if value is None or value == "":
        return (
            f"payload.{REFUND_OF}",
            f"is missing: a refund names the refunded purchase's external_id in {REFUND_OF}",
        )
    if not isinstance(value, str):
        return (f"payload.{REFUND_OF}", f"is {value!r}; it must be the purchase's external_id as text")
    return None


#: The kinds the core registers (through ``patron_interaction_kinds``, like a plugin). ``email_sent``,
#: ``email_bounced`` and ``survey_response`` are named here so every plugin spells them alike, but
#: registered, with their payload checks, by the plugins that own them (email, nps).
CORE_KINDS: tuple[InteractionKind, ...] = (
    InteractionKind(PURCHASE, "A purchase: a positive amount and its currency."),
    InteractionKind(
        REFUND,
        f"Money given back for a purchase: a positive amount in the purchase's currency; "
        f"payload.{REFUND_OF} names the purchase's external_id (same customer).",
        check_refund_payload,
    ),
    InteractionKind(CALL, "A phone call with the customer."),
    InteractionKind(TICKET, "A support ticket opened by the customer."),
    InteractionKind(VISIT, "A visit to a store, branch or site."),
)


def net_amount(source: Any) -> ColumnElement[Any]:
    """SQL: the signed money of one interaction: ``+amount`` for a purchase, ``-amount`` for a refund, 0 else.

    :param source: the ``Interaction`` entity, an alias of it, or a table/subquery
        with ``kind`` and ``amount_minor`` columns. Sum it per currency.
    """
    from sqlalchemy import case, literal

    columns = getattr(source, "c", source)
    kind, amount = columns.kind, columns.amount_minor
    return case((kind == PURCHASE, amount), (kind == REFUND, -amount), else_=literal(0))
