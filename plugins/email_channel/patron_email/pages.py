"""The short pages of the unsubscribe flow: a title, a sentence, at most one button.

Self-contained (inline CSS, no scripts, nothing loaded from elsewhere); every
value is escaped. The plugin renders its own pages rather than reaching into
the core's web host, which is not part of the plugin surface.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import HTMLResponse

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
)


def page(title: str, message: str, *, status: int = 200, form_action: str | None = None) -> HTMLResponse:
    """An HTML response; with ``form_action``, a form POSTing there with one Unsubscribe button."""
    from starlette.responses import HTMLResponse

    form = ""
    if form_action is not None:
        form = (
            f'<form method="post" action="{escape(form_action)}">'
            '<button type="submit" id="unsubscribe">Unsubscribe</button></form>'
        )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p>{form}</body></html>"
    )
    return HTMLResponse(html, status_code=status)
