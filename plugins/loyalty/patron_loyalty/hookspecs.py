"""Hooks the loyalty plugin adds to the contract, through ``patron_addhooks``.

The core has no tier-changed event, so the loyalty plugin provides one. The spec
is added while loyalty registers, before the registry's ``check_pending``, so a
misspelled implementation fails loudly. A plugin that works with and without
loyalty marks its implementation ``@hookimpl(optionalhook=True)``, so it is not
refused when loyalty is disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

from patron import PROJECT_NAME

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def patron_loyalty_tiers_changed(
    app: App, session: Session, scheme: str, review: str, customer_ids: Sequence[int]
) -> None:
    """React to a batch of customers whose loyalty tier changed (e.g. send a congratulation).

    Called once per ``tiers recompute`` that changed at least one tier, inside its
    transaction, after the new tiers and the history rows are written. Read the
    changes set-wise from ``loyalty_tier_history`` (``LoyaltyTierChange``)
    ``WHERE review = :review``: from_tier, to_tier, changed_at, reason. Raising
    rolls the recompute back and the error names the plugin.

    :param app: the running app.
    :param session: the SQLAlchemy session of the recompute; do not commit it.
    :param scheme: the name of the tier scheme that was applied.
    :param review: the id of this recompute in ``loyalty_tier_history.review``.
    :param customer_ids: the customers whose tier changed.
    :return: nothing; every implementation is called.
    """
