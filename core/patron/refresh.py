"""Run every plugin's ``patron_refresh`` job: derived data brought up to date as of a time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from patron.errors import PatronError, PluginError

if TYPE_CHECKING:
    from patron.app import App


def refresh(app: App, as_of: datetime) -> list[str]:
    """Call ``patron_refresh`` once per plugin in registration order; return a line per plugin."""
    lines = []
    for name in app.plugin_names:
        caller = app.caller_for(name, "patron_refresh")
        if caller is None:
            continue
        try:
            said = caller(app=app, as_of=as_of)
        except PatronError:
            raise
        except Exception as exc:
            # A plugin's job failed: name it; its own transactions were rolled back by it.
            raise PluginError(
                f"plugin {app.pm.infos[name].label} failed in patron_refresh: {type(exc).__name__}: {exc}"
            ) from exc
        text = said[0] if said else None
        lines.append(f"{name}: {text}" if text else f"{name}: refreshed")
    return lines
