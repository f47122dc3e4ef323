"""One-click unsubscribe (RFC 8058): the page a link opens, and the POST that unsubscribes.

``GET /email/unsubscribe/TOKEN`` shows a page with one button and changes
nothing, so a mail scanner or link preview that follows every link unsubscribes
nobody. ``POST`` to the same address (the button, or a mail provider's
one-click POST with ``List-Unsubscribe=One-Click``) revokes the consent the
message was sent under, through the core's append-only consent log, and adds
the address to the suppression list. Both are idempotent: a second POST adds
no log entry and no suppression. A tampered, truncated or expired token
changes nothing and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from patron.consent import latest_entries
from patron.models import Customer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from patron.app import App
    from patron.contracts import WebRoute

CHANNEL = "email"


def unsubscribe(app: App, session: Session, customer_id: int, purpose: str, campaign: str | None) -> bool:
    """Revoke ``(email, purpose)`` consent and suppress the address; True when anything changed."""
    from patron.contracts import ConsentChange
    from patron.ingest import append_consents
    from patron.models import utcnow
    from patron_email.suppression import suppress

    customer = session.get(Customer, customer_id)
    if customer is None:
        return False
    latest = session.execute(latest_entries(channel=CHANNEL, purpose=purpose, customer_ids=[customer_id])).first()
    changed = False
    if latest is None or latest.granted:
        source = f"email:unsubscribe:{campaign}" if campaign else "email:unsubscribe"
        append_consents(app, session, [ConsentChange(customer_id, CHANNEL, purpose, False, utcnow(), source[:255])])
        changed = True
    if customer.email:
        changed |= suppress(
            session,
            customer.email,
            reason="unsubscribed",
            source="one-click unsubscribe",
            customer_id=customer_id,
            campaign=campaign,
        )
    return changed


def routes(app: App) -> list[WebRoute]:
    """The web routes of the unsubscribe flow, bound to ``app``: the page (GET) and the change (POST)."""
    from starlette.requests import Request
    from starlette.responses import Response

    from patron.contracts import WebRoute
    from patron.links import LinkError, read_token
    from patron_email.config import EmailConfig
    from patron_email.messages import UNSUBSCRIBE_PURPOSE
    from patron_email.pages import page

    config = app.plugin_config("email")
    assert isinstance(config, EmailConfig)
    max_age = config.unsubscribe_max_age_days * 86400

    def refused(exc: LinkError) -> Response:
        return page(
            "This link does not work",
            f"{str(exc).capitalize()}. Nothing was changed. To unsubscribe, use the link in a more recent "
            "message or reply to it asking to be removed.",
            status=400,
        )

    async def endpoint(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            data = read_token(app, UNSUBSCRIBE_PURPOSE, token, max_age=max_age)
            customer_id, purpose = int(data["c"]), str(data["p"])
            campaign = str(data["k"]) if data.get("k") else None
        except LinkError as exc:
            return refused(exc)
        except (KeyError, TypeError, ValueError):
            return refused(LinkError("invalid", "this link is not valid"))
        if request.method == "GET":
            return page(
                "Unsubscribe",
                f"Press the button to stop receiving {purpose} emails from us.",
                form_action=request.url.path,
            )
        await request.body()  # the one-click body (List-Unsubscribe=One-Click) or the form: nothing to read in it

        def work() -> bool:
            with app.transaction(immediate=True) as session:
                return unsubscribe(app, session, customer_id, purpose, campaign)

        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(work)
        return page("You are unsubscribed", f"You will not receive {purpose} emails from us any more.")

    path = "/email/unsubscribe/{token}"
    return [
        WebRoute("email:unsubscribe-page", path, endpoint, methods=("GET",)),
        WebRoute("email:unsubscribe", path, endpoint, methods=("POST",)),
    ]


def suppressed_state(session: Session, address: str) -> Any:
    """The suppression row of ``address`` or None (for the panel)."""
    from patron_email.models import EmailSuppression
    from patron_email.suppression import Hasher

    return session.scalar(select(EmailSuppression).where(EmailSuppression.address_hash == Hasher(session)(address)))
