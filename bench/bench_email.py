"""Benchmark: Patron's email campaign against a plain smtplib loop, to the same local aiosmtpd.

Both arms send the same messages to the same SMTP server (aiosmtpd's ``Sink``
handler in its own process on 127.0.0.1, plain SMTP so TLS costs flatter
neither arm) over one connection each:

- **plain**: the messages are rendered beforehand (not timed); the timed part is
  ``smtp.sendmail(sender, [recipient], data)`` in a loop: the floor any sender pays.
- **patron**: ``patron email send`` for a fresh campaign, in process: audience
  resolved through the core, consent and suppression checked per recipient
  (at plan time and again per batch), template rendered per recipient (Jinja2
  sandbox, CSS inlined, signed unsubscribe link), send log claimed and recorded
  per batch, one ``email_sent`` interaction per message, on SQLite.

The arms are interleaved (``--rounds`` rounds, each sending ``messages / rounds``
per arm, after an untimed warm-up of 100 messages each), so both see the same
machine load. The ratio is Patron's throughput
over the plain loop's; target ≥ 0.7. Exit code 1 when it misses the target or a
message is missing.

    python bench/bench_email.py [--messages 10000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 0.7
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
    raise SystemExit("aiosmtpd did not start")


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


def plain_arm(port: int, messages: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, data in messages:
            smtp.sendmail("news@shop.example.com", [recipient], data)
    return time.perf_counter() - start


def patron_arm(app: Any, campaign: str, expected: int) -> float:
    start = time.perf_counter()
    summary = app.channels["email"].send(
        app,
        campaign=campaign,
        audience=app.audiences["email:consented:marketing"],
        template="welcome",
        purpose="marketing",
    )
    elapsed = time.perf_counter() - start
    if summary.sent != expected:
        raise SystemExit(f"patron sent {summary.sent} of {expected}: {summary}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages per arm (default 10,000)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (default 4)")
    args = parser.parse_args()
    per_round = args.messages // args.rounds
    port = free_port()
    server = start_server(port)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-email-") as tmp:
            app = make_app(Path(tmp), port, per_round)
            times = {"plain": 0.0, "patron": 0.0}
            # Untimed warm-up of both arms (imports, first-use tables, SQLite's page cache).
            warm = min(100, per_round)
            app.channels["email"].send(
                app, campaign="warm-up", audience=app.audiences["email:consented:marketing"],
                template="welcome", purpose="marketing", limit=warm,
            )  # fmt: skip
            plain_arm(port, render_plain(app, "warm-up-plain")[:warm])
            for r in range(args.rounds):
                plain_messages = render_plain(app, f"plain-{r}")
                order = ["plain", "patron"] if r % 2 == 0 else ["patron", "plain"]  # alternate who goes first
                for name in order:
                    if name == "plain":
                        took = plain_arm(port, plain_messages)
                    else:
                        took = patron_arm(app, f"bench-{r}", per_round)
                    times[name] += took
                    print(f"round {r + 1}: {name:6} {per_round / took:8.0f} msg/s", flush=True)
            app.dispose()
    finally:
        server.terminate()
        server.wait(timeout=30)
    sent = per_round * args.rounds
    plain_rate = sent / times["plain"]
    patron_rate = sent / times["patron"]
    ratio = patron_rate / plain_rate
    print(f"plain smtplib loop: {sent} messages in {times['plain']:.2f} s = {plain_rate:.0f} msg/s")
    print(f"patron email send:  {sent} messages in {times['patron']:.2f} s = {patron_rate:.0f} msg/s")
    print(f"ratio patron/plain: {ratio:.2f} (target >= {TARGET})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
