"""Hooks the loyalty plugin adds to the contract (registered with ``pm.add_hookspecs``).

The core has no tier-changed event, so the loyalty plugin provides one. Because
the spec is added when the loyalty plugin first fires it (after the registry's
``check_pending``), an implementation in another plugin must be marked
``@hookimpl(optionalhook=True)``: it is then verified against this spec as soon
as it is added, and it is simply never called when loyalty is not enabled.
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


def ensure_added(pm: pluggy.PluginManager) -> None:
    """Add this module's specs to ``pm`` once (idempotent)."""
    import sys

    caller = getattr(pm.hook, "patron_loyalty_tiers_changed", None)
    if caller is None or not caller.has_spec():
        pm.add_hookspecs(sys.modules[__name__])
