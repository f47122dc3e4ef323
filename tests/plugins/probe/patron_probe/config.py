"""The probe's settings, validated by the core from ``[plugins.probe]``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class ProbeConfig(BaseModel):
    """Settings of the probe plugin."""

    model_config = ConfigDict(extra="forbid")

    greeting: str = "hello"
    repeat: int = Field(default=1, ge=1, le=10)
    fail_on: list[str] = Field(default_factory=list, description="event names that raise, for rollback tests")
    api_token: SecretStr | None = None
