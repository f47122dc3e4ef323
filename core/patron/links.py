"""Signed, expiring, purpose-bound links for messages (unsubscribe, survey answers, …).

A link carries a token that says *what it is for* (its purpose, e.g.
``"email.unsubscribe"``), *what it is about* (a small JSON dict, e.g. the
customer's id) and *when it was made*, signed with the secret key from
``[patron] secret_key`` (or ``$PATRON_SECRET_KEY``). A token made for one
purpose is refused for another, so an unsubscribe token cannot answer a survey.
Only the signature proves a token; nothing is stored.

Key rotation: put the old key in ``[patron] previous_secret_keys`` and a new one
in ``secret_key``. New tokens are signed with the new key; tokens signed with an
old key keep verifying until the old key is removed (the grace period is as long
as you keep it listed).

The key is never printed (``patron config show`` masks it) and never appears in
an error message. Tokens hold ids, never personal data: they travel in
URLs and end up in logs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from patron.errors import ConfigError, InputError

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from patron.app import App

#: A key shorter than this is refused: it could be guessed.
MIN_KEY_LENGTH = 16
#: itsdangerous salt: separates Patron's link tokens from any other use of the same key.
_SALT = "patron.links.v1"
KEY_HINT = (
    "set [patron] secret_key in patron.toml or $PATRON_SECRET_KEY to a long random string, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


class LinkError(InputError):
    """A token is tampered with, expired, or made for another purpose.

    ``reason`` is one of ``"invalid"``, ``"expired"``, ``"wrong_purpose"``; the
    message says what happened in words a person clicking a link understands.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _keys(app: App) -> list[str]:
    settings = app.settings
    key = getattr(settings, "secret_key", None)
    if not key:
        raise ConfigError(f"signed links need a secret key: {KEY_HINT}")
    previous = list(getattr(settings, "previous_secret_keys", ()) or ())
    for candidate, where in [(key, "secret_key"), *((p, "previous_secret_keys") for p in previous)]:
        if len(candidate) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"[patron] {where}: a key is shorter than {MIN_KEY_LENGTH} characters; "
                f"use a long random string ({KEY_HINT.split(', e.g. ', 1)[1]})"
            )
    # itsdangerous signs with the last key and verifies with any of them.
    return [*previous, key]


def _serializer(app: App) -> URLSafeTimedSerializer:
    return _serializer_for(tuple(_keys(app)))


@functools.lru_cache(maxsize=8)
def _serializer_for(keys: tuple[str, ...]) -> URLSafeTimedSerializer:
    # One per key set: a campaign signs one link per message, and building the serializer is not free.
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(list(keys), salt=_SALT)


def make_token(app: App, purpose: str, data: Mapping[str, Any]) -> str:
    """Sign ``data`` (a small JSON-serialisable dict of ids) for ``purpose``; return a URL-safe token."""
    if not purpose:
        raise ValueError("a link needs a purpose, e.g. 'email.unsubscribe'")
    return _serializer(app).dumps({"p": purpose, "d": dict(data)})


def make_link(app: App, purpose: str, data: Mapping[str, Any], *, path: str) -> str:
    """Return an absolute URL ``{base_url}{path}/{token}`` carrying a signed token for ``purpose``.

    :param path: the route the link lands on, e.g. ``"/email/unsubscribe"``.
    ``base_url`` comes from ``[patron] base_url`` (``$PATRON_BASE_URL``), the
    public address ``patron serve`` is reached at.
    """
    base = str(getattr(app.settings, "base_url", "") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/{path.strip('/')}/{make_token(app, purpose, data)}"


def read_token(app: App, purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """Verify ``token`` and return its data.

    :param purpose: the purpose the token must have been made for.
    :param max_age: seconds after which the token has expired.
    :raises LinkError: the token is tampered with or unreadable (``invalid``),
        older than ``max_age`` (``expired``), or made for another purpose
        (``wrong_purpose``). Nothing about the key is said.
    """
    from itsdangerous import BadSignature, SignatureExpired

    try:
        payload = _serializer(app).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError("expired", "this link has expired") from None
    except BadSignature:
        # Covers tampering, truncation and keys no longer listed; the cause is not the user's business.
        raise LinkError("invalid", "this link is not valid (it was changed or is incomplete)") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("d"), dict):
        raise LinkError("invalid", "this link is not valid (it was changed or is incomplete)")
    if payload.get("p") != purpose:
        raise LinkError("wrong_purpose", "this link was made for something else")
    data: dict[str, Any] = payload["d"]
    return data
