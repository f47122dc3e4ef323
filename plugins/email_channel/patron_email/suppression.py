"""The suppression list: addresses that are never mailed, whatever their consent says.

Entries come from one-click unsubscribes, hard bounces, complaints, repeated
soft bounces and the operator (``patron email suppressions add``). Lookups go by
``address_hash`` (an HMAC of the lower-cased address under this database's own
key), so an erased customer's entry, which keeps only the hash, still matches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select

from patron.models import utcnow
from patron_email.models import EmailKey, EmailSuppression

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_KEY_NAME = "suppression_hash"


def normalise(address: str) -> str:
    """The form addresses are compared in: trimmed and lower-cased."""
    return address.strip().lower()


class Hasher:
    """HMAC-SHA256 of normalised addresses under the database's suppression key."""

    def __init__(self, session: Session) -> None:
        key = session.scalar(select(EmailKey.value).where(EmailKey.name == _KEY_NAME))
        if key is None:
            raise RuntimeError("email_keys has no suppression key: run 'patron db upgrade'")
        self._key = key.encode("ascii")

    def __call__(self, address: str) -> str:
        return hmac.new(self._key, normalise(address).encode("utf-8"), hashlib.sha256).hexdigest()


def suppressed_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    """The subset of ``hashes`` on the suppression list (one query per 5000)."""
    wanted = list(set(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(
            session.scalars(select(EmailSuppression.address_hash).where(EmailSuppression.address_hash.in_(chunk)))
        )
    return found


def suppress(
    session: Session,
    address: str,
    *,
    reason: str,
    source: str,
    customer_id: int | None = None,
    campaign: str | None = None,
) -> bool:
    """Add ``address`` to the list unless it is there already; return True when added (idempotent)."""
    hasher = Hasher(session)
    digest = hasher(address)
    if session.scalar(select(EmailSuppression.id).where(EmailSuppression.address_hash == digest)) is not None:
        return False
    # A savepoint: a concurrent insert of the same address loses the race quietly instead of failing the request.
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.add(
                EmailSuppression(
                    address_hash=digest,
                    address=normalise(address),
                    customer_id=customer_id,
                    reason=reason,
                    campaign=campaign,
                    source=source,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        # Someone else suppressed the same address between our check and our insert: it is suppressed.
        return False
    return True


def unsuppress(session: Session, address: str) -> bool:
    """Remove ``address`` from the list (operator's decision); return True when it was there."""
    digest = Hasher(session)(address)
    row = session.scalar(select(EmailSuppression).where(EmailSuppression.address_hash == digest))
    if row is None:
        return False
    session.delete(row)
    return True
