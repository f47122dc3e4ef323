"""Benchmark ``email-send``: Patron's email campaign against a plain smtplib loop, to the same local aiosmtpd.

Both arms send the same messages to the same SMTP server (aiosmtpd's ``Sink``
handler in its own process on 127.0.0.1, plain SMTP so TLS costs flatter
neither arm) over one connection each, each arm a function run in a forked
child of this process:

- baseline, **plain**: the messages are rendered beforehand (untimed, before
  each run); the timed part is ``smtp.sendmail(sender, [recipient], data)`` in
  a loop: the floor any sender pays.
- arm, **patron**: ``patron email send`` for a fresh campaign, in process:
  audience resolved through the core, consent and suppression checked per
  recipient (at plan time and again per batch), template rendered per
  recipient (Jinja2 sandbox, CSS inlined, signed unsubscribe link), send log
  claimed and recorded per batch, one ``email_sent`` interaction per message,
  on SQLite.

Before the measured rounds both arms send 100 messages untimed in this process
(imports, first-use tables, SQLite's page cache), which the forks inherit.
After each run, untimed, the number of messages delivered is read (smtplib's
accepted recipients; Patron's send log rows marked sent for the run's
campaign); every run of both arms must have delivered every message.

The metric is wall time, since the job is throughput against a server in
another process: the ratio patron / plain of the medians is the inverse of
Patron's throughput over the plain loop's. Target 1.43, i.e. Patron's
throughput at least 0.7 of the plain loop's.

Sizes (messages per run and arm; as many customers): smoke 200; quick 2,500; full 10,000.

    python bench/bench_email.py [--smoke|--full] [--rounds N]
"""

from __future__ import annotations

import dataclasses
import itertools
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import Arm, Options, Pair, Pairs, benchmark, main, pick

#: Patron's throughput must be at least this share of the plain loop's.
THROUGHPUT = 0.7
WARM_UP = 100

SECRET = "bench-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("aiosmtpd did not start within 30 s")


def make_app(folder: Path, port: int, customers: int) -> Any:
    from patron.app import App
    from patron.config import load_settings
    from patron.contracts import ConsentChange
    from patron.ingest import append_consents, upsert_customers
    from patron.models import utcnow
    from patron_sdk.pytest_plugin import render_config

    section = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "from_address": "Shop <news@shop.example.com>",
        "unsubscribe_mailto": "unsubscribe@shop.example.com",
    }
    path = folder / "patron.toml"
    path.write_text(render_config(f"sqlite:///{folder / 'patron.db'}", ["email"], {"email": section}), "utf-8")
    app = App(dataclasses.replace(load_settings(path, env={}), secret_key=SECRET))
    app.upgrade_database()
    rows = [
        {"external_id": f"c{i}", "name": f"Customer{i} Example", "email": f"customer{i}@mail.example.com"}
        for i in range(customers)
    ]
    with app.transaction() as session:
        ids = upsert_customers(app, session, rows).inserted_ids
        now = utcnow()
        append_consents(app, session, [ConsentChange(i, "email", "marketing", True, now, "bench") for i in ids])
    return app


def render_plain(app: Any, campaign: str) -> list[tuple[str, bytes]]:
    """The same messages Patron sends (same template, headers, links), rendered ahead of time."""
    from sqlalchemy import select

    from patron.models import Customer
    from patron_email.config import EmailConfig
    from patron_email.messages import build, customer_context, message_id, unsubscribe_url
    from patron_email.sending import template_dirs
    from patron_email.templating import environment, load

    config = app.plugin_config("email", EmailConfig)
    template = load(environment(template_dirs(app, config)), "welcome")
    with app.transaction() as session:
        customers = session.execute(
            select(Customer.id, Customer.external_id, Customer.name, Customer.email).order_by(Customer.id)
        ).all()
    out = []
    for c in customers:
        link = unsubscribe_url(app, c.id, campaign, "marketing")
        context = {
            "customer": customer_context(c._asdict()),
            "campaign": campaign,
            "purpose": "marketing",
            "unsubscribe_url": link,
        }
        data = build(
            config,
            template.render(context),
            to=c.email,
            to_name=c.name,
            msg_id=message_id(campaign, c.id, config.id_domain),
            campaign=campaign,
            unsubscribe=link,
        )
        out.append((c.email, data))
    return out


def plain_send(port: int, messages: list[tuple[str, bytes]]) -> int:
    """The baseline's timed work: one connection, ``sendmail`` per message; returns the messages accepted."""
    accepted = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, data in messages:
            refused = smtp.sendmail("news@shop.example.com", [recipient], data)
            accepted += recipient not in refused
    return accepted


def patron_send(app: Any, campaign: str, limit: int | None = None) -> str:
    """The arm's timed work: ``patron email send`` for ``campaign``; returns the campaign for ``delivered``."""
    app.channels["email"].send(
        app,
        campaign=campaign,
        audience=app.audiences["email:consented:marketing"],
        template="welcome",
        purpose="marketing",
        limit=limit,
    )
    return campaign


def delivered(app: Any, campaign: str) -> int:
    """Untimed, after a run: the messages of ``campaign`` the send log records as sent."""
    from sqlalchemy import func, select

    from patron_email.models import EmailSend

    try:
        with app.transaction() as session:
            query = select(func.count()).where(EmailSend.campaign == campaign, EmailSend.state == "sent")
            return int(session.scalar(query) or 0)
    finally:
        app.dispose()  # no connection left open in this process across the next fork


@contextmanager
def smtp_sink() -> Iterator[int]:
    """aiosmtpd's Sink on a free loopback port, for the duration; yields the port."""
    port = free_port()
    server = start_server(port)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@benchmark(
    "email-send",
    target=round(1 / THROUGHPUT, 2),
    metric="wall",
    doc="patron email send / plain smtplib loop, same aiosmtpd (wall; throughput >= 0.7)",
)
def email_send(options: Options) -> Pairs:
    messages = pick(options, 200, 2_500, 10_000)
    with smtp_sink() as port, tempfile.TemporaryDirectory(prefix="bench-email-") as tmp:
        app = make_app(Path(tmp), port, messages)
        try:
            # Untimed warm-up of both arms in this process; the forks inherit it.
            patron_send(app, "warm-up", limit=min(WARM_UP, messages))
            plain_send(port, render_plain(app, "warm-up-plain")[:WARM_UP])
            app.dispose()
            runs = itertools.count()
            campaign = {"patron": "", "plain": ""}
            rendered: list[tuple[str, bytes]] = []

            def next_patron() -> None:
                campaign["patron"] = f"bench-{next(runs)}"
                app.dispose()

            def next_plain() -> None:
                campaign["plain"] = f"plain-{next(runs)}"
                rendered[:] = render_plain(app, campaign["plain"])
                app.dispose()

            yield Pair(
                Arm.forked(
                    "patron email send",
                    lambda: patron_send(app, campaign["patron"]),
                    setup=next_patron,
                    result=lambda name: delivered(app, name),
                ),
                Arm.forked("plain smtplib loop", lambda: plain_send(port, rendered), setup=next_plain),
                note=f"{messages:,} messages per run and arm, one SMTP connection each, SQLite",
            )
        finally:
            app.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
