"""The email plugin's settings, validated by the core from ``[plugins.email]``.

Every key has a default, so an absent section is valid; the README lists them.
The SMTP password belongs in the environment (``PATRON_PLUGINS__EMAIL__SMTP_PASSWORD``);
it is a ``SecretStr``, so ``patron config show`` and every message print it masked.
"""

from __future__ import annotations

from email.utils import parseaddr
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class EmailConfig(BaseModel):
    """Settings of the email plugin."""

    model_config = ConfigDict(extra="forbid")

    # -- sender --------------------------------------------------------------
    from_address: str = "Patron <noreply@localhost>"
    reply_to: str | None = None
    message_id_domain: str | None = Field(default=None, description="default: the domain of from_address")
    unsubscribe_mailto: str | None = Field(default=None, description="address for the mailto: unsubscribe")
    # -- SMTP ----------------------------------------------------------------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    verify_certificate: bool = True
    ca_file: str | None = Field(default=None, description="extra CA bundle (PEM) to trust, e.g. a private CA")
    rate_per_second: float = Field(default=0.0, ge=0, description="0: as fast as the server accepts")
    batch_size: int = Field(default=100, ge=1, le=10_000)
    max_retries: int = Field(default=3, ge=0, le=20)
    retry_backoff: float = Field(default=1.0, ge=0, le=300)
    allow_test_domains: bool = Field(
        default=False, description="accept addresses at reserved test domains (.test, localhost): tests only"
    )
    # -- templates and links -------------------------------------------------
    template_dir: str = "email_templates"
    unsubscribe_max_age_days: int = Field(default=365, ge=1, le=3650)
    # -- audiences -------------------------------------------------------------
    audience_purposes: list[str] = Field(
        default_factory=lambda: ["marketing"], description="one audience email:consented:<purpose> per purpose"
    )
    # -- bounces ---------------------------------------------------------------
    soft_bounce_limit: int = Field(default=3, ge=1, le=100)

    @field_validator("from_address")
    @classmethod
    def _has_address(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address:
            raise ValueError(f"{value!r} is not an email address, e.g. 'Shop <news@shop.example>'")
        return value

    @field_validator("audience_purposes")
    @classmethod
    def _purposes(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p or not p.replace("_", "").replace("-", "").isalnum() or p != p.lower()]
        if bad:
            raise ValueError(f"purposes must be lower-case words (letters, digits, _ -): {bad}")
        return value

    @cached_property
    def sender(self) -> str:
        """The bare envelope sender address of ``from_address``."""
        return parseaddr(self.from_address)[1]

    @cached_property
    def id_domain(self) -> str:
        """The domain used in Message-IDs."""
        return self.message_id_domain or self.sender.rpartition("@")[2]
