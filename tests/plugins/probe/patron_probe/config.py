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
    # Lets a test kill an import mid-file deterministically: the Nth interactions_recorded
    # call of the process (inside that batch's open transaction) writes pause_file, then waits.
    pause_on_batch: int = Field(default=0, ge=0, description="0: never pause")
    pause_file: str = ""
