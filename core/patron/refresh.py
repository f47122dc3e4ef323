"""Run every plugin's ``patron_refresh`` job: derived data brought up to date as of a time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patron.app import App


def refresh(app: App, as_of: datetime) -> list[str]:
    """Call ``patron_refresh`` once per plugin in the contract's call order; return a line per plugin."""
    return [
        f"{name}: {said}" if said else f"{name}: refreshed"
        for name, said in app.call_each("patron_refresh", app=app, as_of=as_of)
    ]
