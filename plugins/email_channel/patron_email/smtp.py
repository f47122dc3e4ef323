"""SMTP delivery with ``smtplib``: one connection reused, TLS verified, retries on 4xx, rate limited.

Outcomes of one message, as ``Outcome.state``:

- ``sent``: the server answered 250 to DATA (its reply is kept);
- ``failed``: a permanent 5xx at MAIL, RCPT or DATA;
- ``deferred``: a transient 4xx still there after ``max_retries`` retries, or
  the connection failed before DATA began: nothing was accepted, a rerun retries;
- ``unknown``: the connection broke while the message was being transferred or
  before the server's reply to it was read: the server may have accepted it.

Only the last is ambiguous; the caller records it as ``unknown`` and never
resends it unless told to, so a message is delivered at most once.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from patron.errors import ConfigError

if TYPE_CHECKING:
    from patron_email.config import EmailConfig

PASSWORD_ENV = "PATRON_PLUGINS__EMAIL__SMTP_PASSWORD"


@dataclass(frozen=True)
class Outcome:
    """What became of one message: state (see module docstring) and the server's reply."""

    state: str
    reply: str


class SmtpError(ConfigError):
    """The SMTP server cannot be reached or refuses the session (connection, TLS, login)."""


class Mailer:
    """One SMTP session, opened on first use and reused for every message."""

    def __init__(self, config: EmailConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None
        self._next_slot = 0.0
        self._sleep = sleep
        self.connections = 0
        #: True while the session is down and the last attempt to reopen it failed.
        self.broken = False
        self.last_error = ""

    # -- session ---------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        c = self.config
        if not c.verify_certificate:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=c.ca_file) if c.ca_file else ssl.create_default_context()

    def open(self) -> smtplib.SMTP:
        """Connect, secure and log in (once); return the session."""
        if self._smtp is not None:
            return self._smtp
        c = self.config
        where = f"SMTP server {c.smtp_host}:{c.smtp_port} ([plugins.email] smtp_host/smtp_port)"
        try:
            if c.smtp_security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.smtp_host, c.smtp_port, timeout=c.smtp_timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.smtp_timeout)
                smtp.ehlo()
                if c.smtp_security == "starttls":
                    if not smtp.has_extn("starttls"):
                        smtp.close()
                        raise SmtpError(
                            f'{where} does not offer STARTTLS; use smtp_security = "tls" for implicit TLS, '
                            'or "none" only on a trusted local relay'
                        )
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
            if c.smtp_username:
                if c.smtp_password is None:
                    raise SmtpError(f"[plugins.email] smtp_username is set but no password: set ${PASSWORD_ENV}")
                smtp.login(c.smtp_username, c.smtp_password.get_secret_value())
        except ssl.SSLCertVerificationError as exc:
            raise SmtpError(
                f"{where}: its TLS certificate did not verify ({exc.verify_message}); give the CA with "
                "[plugins.email] ca_file, or (tests only) verify_certificate = false"
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpError(
                f"{where}: login as {c.smtp_username!r} refused ({exc.smtp_code}); "
                f"check smtp_username and ${PASSWORD_ENV}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            # Connection refused, DNS, timeouts, TLS handshake, unexpected greetings: the session cannot start.
            raise SmtpError(f"cannot open a session with {where}: {type(exc).__name__}: {exc}") from None
        self._smtp = smtp
        self.connections += 1
        return smtp

    def close(self) -> None:
        """Say QUIT and close (errors on a dying connection are irrelevant then)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            # The session is over either way; nothing is pending on it.
            smtp.close()

    # -- messages --------------------------------------------------------------

    def _pace(self) -> None:
        rate = self.config.rate_per_second
        if rate <= 0:
            return
        now = time.monotonic()
        if self._next_slot > now:
            self._sleep(self._next_slot - now)
        self._next_slot = max(now, self._next_slot) + 1.0 / rate

    def send(self, sender: str, recipient: str, data: bytes) -> Outcome:
        """Deliver one message; never raises for a per-message problem (see ``Outcome``)."""
        retries = self.config.max_retries
        attempt = 0
        while True:
            self._pace()
            outcome = self._attempt(sender, recipient, data)
            if outcome.state != "retry":
                return outcome
            attempt += 1
            if attempt > retries:
                return Outcome("deferred", f"{outcome.reply} (after {retries} retries)")
            self._sleep(self.config.retry_backoff * 2 ** (attempt - 1))

    def _attempt(self, sender: str, recipient: str, data: bytes) -> Outcome:
        try:
            smtp = self.open()
        except SmtpError as exc:
            # Reconnecting failed mid-campaign: nothing of this message was sent.
            self.broken, self.last_error = True, str(exc)
            return Outcome("retry", str(exc))
        self.broken = False
        in_data = False
        try:
            code, reply = smtp.mail(sender)
            if code != 250:
                return self._refused(smtp, code, reply)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                return self._refused(smtp, code, reply)
            in_data = True
            code, reply = smtp.data(data)
            if code != 250:
                return self._refused(smtp, code, reply)
            return Outcome("sent", f"{code} {_text(reply)}")
        except smtplib.SMTPDataError as exc:
            # The server refused the DATA command itself (354 never came): nothing was transferred.
            return self._refused(smtp, exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke (timeout, reset, server gone). Before DATA nothing was accepted;
            # during DATA the server may have accepted the message without our reading its reply.
            self._drop()
            if in_data:
                return Outcome("unknown", f"connection lost during DATA: {type(exc).__name__}: {exc}")
            return Outcome("retry", f"connection lost: {type(exc).__name__}: {exc}")

    def _refused(self, smtp: smtplib.SMTP, code: int, reply: bytes | str) -> Outcome:
        text = f"{code} {_text(reply)}"
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            # A server that hangs up after refusing: the next message reconnects.
            self._drop()
        if 400 <= code < 500:
            return Outcome("retry", text)
        return Outcome("failed", text)

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            # Already broken: closing is best effort.
            with contextlib.suppress(OSError):
                smtp.close()


def _text(reply: bytes | str) -> str:
    value = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(value.split())[:400]


__all__ = ["Mailer", "Outcome", "SmtpError"]
