"""The refund convention enforced on import: a refund names a purchase of the same customer and currency.

The convention itself is declared in ``patron.kinds``; this is the set-based
check ``patron import interactions`` runs once per batch (domain layer: it
reads the database).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patron.kinds import PURCHASE, REFUND, REFUND_OF, check_refund_payload
from patron.sql import in_chunks

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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
    for chunk in in_chunks(wanted):
        query = select(Interaction.external_id, Interaction.kind, Interaction.customer_id, Interaction.currency).where(
            Interaction.external_id.in_(chunk)
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
    payload_problem = check_refund_payload(row.get("payload") or {})
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
