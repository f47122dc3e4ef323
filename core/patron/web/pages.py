"""The short human page every web response of Patron uses, errors included.

A person who clicked a link in a message sees a title, one or two sentences and,
at most, a form; never a traceback, never a stack of framework defaults. The
page is self-contained (inline CSS, no scripts, no external resources).
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    "label{display:block;margin:.4rem 0}"
)


def page_html(title: str, body_html: str) -> str:
    """A whole HTML document: ``title`` is escaped, ``body_html`` is inserted as given (escape it first)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body_html}</body></html>"
    )


def page(title: str, message: str, *, status: int = 200, body_html: str = "") -> HTMLResponse:
    """A page with a title, one escaped paragraph ``message`` and optional extra ``body_html``."""
    paragraph = f"<p>{escape(message)}</p>" if message else ""
    return HTMLResponse(page_html(title, paragraph + body_html), status_code=status)


ERROR_TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def error_page(status: int, message: str | None = None) -> HTMLResponse:
    """The page for an HTTP error: a title for the status and a sentence, nothing internal."""
    default = {
        404: "There is nothing at this address.",
        405: "This address does not accept that kind of request.",
        413: "The request is larger than this server accepts.",
        429: "Too many requests from your address; wait a minute and try again.",
        500: "The server could not complete the request; try again later.",
    }
    text = message or default.get(status, "The request could not be completed.")
    return page(ERROR_TITLES.get(status, "Error"), text, status=status)
