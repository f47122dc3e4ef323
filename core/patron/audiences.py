"""Audiences as channels use them: a plugin's query, minus every erased customer.

An audience is a plugin's ``SELECT`` of customer ids (``patron.contracts.Audience``);
an audience family its ``SELECT`` of ``(customer_id, key)`` pairs
(``patron.contracts.AudienceFamily``).
Erasure must put a person beyond every channel's reach, whatever a plugin's
query forgets to filter, so the core wraps each registered audience once, when
``app.audiences`` is collected: its members are joined to the live customers;
families likewise. ``members(app, session, name)`` is the one call a channel
needs; ``family_members(app, session, name)`` the one a grouping report needs.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, select

from patron.contracts import Audience, AudienceFamily
from patron.models import Customer

#: What ``reachable`` wraps: an audience or a family, both a name, a description and a query.
Reachable = TypeVar("Reachable", Audience, AudienceFamily)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App


def without_erased(query: Select[Any]) -> Select[Any]:
    """``query`` (customer ids first) restricted to customers who were not erased."""
    inner = query.subquery("audience")
    member = next(iter(inner.c))
    # Every column the plugin selected is kept, so a wrong shape still shows (the conformance suite checks it).
    return select(*inner.c).join(Customer, Customer.id == member).where(Customer.erased_at.is_(None))


def reachable(audience: Reachable) -> Reachable:
    """The same audience (or audience family) whose query never yields an erased customer (idempotent)."""
    if getattr(audience.query, "_patron_reachable", False):
        return audience
    plugin_query = audience.query

    def query(session: Session) -> Select[Any]:
        return without_erased(plugin_query(session))

    query._patron_reachable = True  # type: ignore[attr-defined]
    return dataclasses.replace(audience, query=query)


def family_members(app: App, session: Session, name: str) -> Select[Any]:
    """The SELECT of ``(customer_id, key)`` of audience family ``name`` (erased customers excluded)."""
    return app.audience_families[name].query(session)


def members(app: App, session: Session, name: str) -> Select[Any]:
    """The SELECT of the customer ids of audience ``name`` (erased customers excluded)."""
    return app.audiences[name].query(session)
