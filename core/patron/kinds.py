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

``patron import interactions`` enforces the convention: a refund naming an
unknown purchase (earlier rows of the same file count as known), another
customer's purchase, an interaction that is not a purchase, another currency,
or a missing, zero or negative amount is a rejected row with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patron.contracts import InteractionKind

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

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

_IN_CHUNK = 5000  # ids per IN (...) list: below SQLite's and PostgreSQL's bound-parameter limits


def _check_refund_payload(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    value = payload.get(REFUND_OF)
    if value is None or value == "":
        return (
            f"payload.{REFUND_OF}",
            f"is missing: a refund names the refunded purchase's external_id in {REFUND_OF}",
        )
    if not isinstance(value, str):
        return (f"payload.{REFUND_OF}", f"is {value!r}; it must be the purchase's external_id as text")
    return None


#: The kinds the core declares (registered through ``patron_interaction_kinds`` like a plugin's).
CORE_KINDS: tuple[InteractionKind, ...] = (
    InteractionKind(PURCHASE, "A purchase: a positive amount and its currency."),
    InteractionKind(
        REFUND,
        f"Money given back for a purchase: a positive amount in the purchase's currency; "
        f"payload.{REFUND_OF} names the purchase's external_id (same customer).",
        _check_refund_payload,
    ),
    InteractionKind(EMAIL_SENT, "An email sent to the customer (payload: campaign, template)."),
    InteractionKind(EMAIL_BOUNCED, "An email to the customer bounced."),
    InteractionKind(SURVEY_RESPONSE, "The customer answered a survey (payload: survey, score)."),
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


@dataclass(frozen=True)
class RefundProblem:
    """Why refund number ``index`` (of the rows checked) breaks the convention."""

    index: int
    column: str
    reason: str


def check_refunds(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[RefundProblem]:
    """Check the refunds among ``rows`` (interaction dicts with ``customer_id``) against the convention.

    A refund's purchase is looked up in the database and among the rows before
    it, so a file may hold a purchase and its refund. Other kinds are not checked.
    """
    if not any(row["kind"] == REFUND for row in rows):
        return []  # the usual batch of a big file: nothing to check, no lookups, no bookkeeping
    from sqlalchemy import select

    from patron.models import Interaction

    wanted = sorted(
        {
            str(row["payload"][REFUND_OF])
            for row in rows
            if row["kind"] == REFUND and isinstance((row.get("payload") or {}).get(REFUND_OF), str)
        }
    )
    stored: dict[str, tuple[str, int, str | None]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(Interaction.external_id, Interaction.kind, Interaction.customer_id, Interaction.currency).where(
            Interaction.external_id.in_(wanted[start : start + _IN_CHUNK])
        )
        stored.update({ext: (kind, cid, cur) for ext, kind, cid, cur in session.execute(query)})
    problems: list[RefundProblem] = []
    earlier: dict[str, tuple[str, int, str | None]] = {}
    for index, row in enumerate(rows):
        if row["kind"] != REFUND:
            earlier.setdefault(row["external_id"], (row["kind"], row["customer_id"], row.get("currency")))
            continue
        problem = _refund_problem(row, stored, earlier)
        if problem is not None:
            problems.append(RefundProblem(index, *problem))
    return problems


def _refund_problem(
    row: Mapping[str, Any],
    stored: Mapping[str, tuple[str, int, str | None]],
    earlier: Mapping[str, tuple[str, int, str | None]],
) -> tuple[str, str] | None:
    payload_problem = _check_refund_payload(row.get("payload") or {})
    if payload_problem is not None:
        return payload_problem
    amount = row.get("amount_minor")
    if amount is None:
        return ("amount", "is empty; a refund gives back a positive amount with its currency")
    if amount <= 0:
        return ("amount", f"is {'negative' if amount < 0 else 'zero'}; a refund's amount is the money given back, > 0")
    ref = row["payload"][REFUND_OF]
    target = stored.get(ref) or earlier.get(ref)
    if target is None:
        return (
            f"payload.{REFUND_OF}",
            f"names {ref!r}, but no purchase has that external_id (import the purchase first, "
            "or earlier in the same file)",
        )
    kind, customer_id, currency = target
    if kind != PURCHASE:
        return (f"payload.{REFUND_OF}", f"names {ref!r}, which is a {kind!r} interaction, not a purchase")
    if customer_id != row["customer_id"]:
        return (f"payload.{REFUND_OF}", f"names {ref!r}, a purchase of another customer")
    if currency != row.get("currency"):
        return (
            "currency",
            f"is {row.get('currency')!r} but purchase {ref!r} is in {currency!r}; refund in the purchase's currency",
        )
    return None
