"""A real SMTP server on loopback for tests and benchmarks: aiosmtpd, STARTTLS with a throwaway CA.

``smtp_server(tls=True)`` starts aiosmtpd in a thread on a free port of
127.0.0.1 with a certificate from a ``trustme`` CA (STARTTLS required), and
yields a ``TestServer`` whose ``inbox`` holds every accepted message. Replies
can be scripted per recipient (``server.script("a@x.test", "451 4.3.0 busy")``)
to exercise retries and permanent failures. Needs ``aiosmtpd`` and ``trustme``
(the workspace's dev requirements); nothing here is imported by the plugin.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any


@dataclass
class Received:
    """One message the server accepted."""

    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


@dataclass
class TestServer:
    """A running server: where it listens, what it received, what it will answer."""

    __test__ = False  # not a pytest test class

    host: str
    port: int
    ca_file: str | None
    inbox: list[Received] = field(default_factory=list)
    scripted: dict[str, list[str]] = field(default_factory=dict)
    delay: float = 0.0
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, address: str, *replies: str) -> None:
        """Answer DATA for ``address`` with these replies, one per attempt, before accepting."""
        self.scripted.setdefault(address.lower(), []).extend(replies)

    def count(self) -> int:
        with self.lock:
            return len(self.inbox)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(r.message["Message-ID"]) for r in self.inbox]


class _Handler:
    def __init__(self, server: TestServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if self.server.delay:
            import asyncio

            await asyncio.sleep(self.server.delay)
        for rcpt in envelope.rcpt_tos:
            queue = self.server.scripted.get(rcpt.lower())
            if queue:
                return queue.pop(0)
        with self.server.lock:
            self.server.inbox.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            n = len(self.server.inbox)
        return f"250 2.0.0 Ok: queued as T{n}"


#: The secret key and base URL the tests' apps use.
SECRET = "test-secret-key-0123456789abcdef"
BASE_URL = "http://127.0.0.1:8000"


def email_section(server: TestServer, **overrides: Any) -> dict[str, Any]:
    section = {
        "smtp_host": server.host,
        "smtp_port": server.port,
        "ca_file": server.ca_file,
        "from_address": "Shop <news@shop.test>",
        "unsubscribe_mailto": "unsubscribe@shop.test",
        "batch_size": 4,
        "retry_backoff": 0.01,
        "allow_test_domains": True,
        **overrides,
    }
    return {k: v for k, v in section.items() if v is not None}


def seed(app: Any, n: int, *, consent: bool = True, prefix: str = "c", purpose: str = "marketing") -> list[int]:
    """``n`` customers ``{prefix}0…`` with addresses ``{prefix}i@example.test``, consenting when ``consent``."""
    from patron.contracts import ConsentChange
    from patron.ingest import append_consents, upsert_customers
    from patron.models import utcnow

    rows = [
        {"external_id": f"{prefix}{i}", "name": f"Ann{i} Smith", "email": f"{prefix}{i}@example.test"} for i in range(n)
    ]
    with app.transaction() as session:
        ids = upsert_customers(app, session, rows).inserted_ids
        if consent:
            now = utcnow()
            append_consents(app, session, [ConsentChange(i, "email", purpose, True, now, "test") for i in ids])
    return list(ids)


def set_consent(app: Any, customer_id: int, granted: bool, purpose: str = "marketing") -> None:
    from patron.contracts import ConsentChange
    from patron.ingest import append_consents
    from patron.models import utcnow

    with app.transaction() as session:
        append_consents(app, session, [ConsentChange(customer_id, "email", purpose, granted, utcnow(), "test")])


def send(app: Any, campaign: str = "spring", **kw: Any) -> Any:
    """Send ``campaign`` to ``email:consented:marketing`` with the built-in welcome template."""
    channel = app.channels["email"]
    kw.setdefault("audience", app.audiences["email:consented:marketing"])
    kw.setdefault("template", "welcome")
    kw.setdefault("purpose", "marketing")
    return channel.send(app, campaign=campaign, **kw)


def states(app: Any, campaign: str = "spring") -> dict[int, tuple[str, str | None]]:
    from sqlalchemy import select

    from patron_email.models import EmailSend

    with app.transaction() as session:
        return {
            cid: (state, reason)
            for cid, state, reason in session.execute(
                select(EmailSend.customer_id, EmailSend.state, EmailSend.reason).where(EmailSend.campaign == campaign)
            )
        }


def asgi_app(app: Any) -> Any:
    """A Starlette app serving only the routes ``app``'s plugins register (what ``patron serve`` mounts)."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    return Starlette(routes=[Route(r.path, r.endpoint, methods=list(r.methods)) for r in app.web_routes.values()])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(
    folder: Path, *, tls: bool = True, login: tuple[str, str] | None = None, delay: float = 0.0
) -> Iterator[TestServer]:
    """Run aiosmtpd on 127.0.0.1 (STARTTLS required when ``tls``); stop it afterwards."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    kwargs: dict[str, Any] = {}
    ca_file = None
    if tls:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        ca_path = folder / "smtp-test-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        ca_file = str(ca_path)
        kwargs.update(tls_context=context, require_starttls=True)
    server = TestServer("127.0.0.1", free_port(), ca_file, delay=delay)
    if login is not None:

        def authenticator(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            if ok:
                server.logins.append(login)
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls)
    controller = Controller(_Handler(server), hostname=server.host, port=server.port, **kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
        time.sleep(0)  # let the loop thread finish
