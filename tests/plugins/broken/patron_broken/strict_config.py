"""Has a config model with a required key, so an absent section is invalid."""

from pydantic import BaseModel

from patron import CONTRACT_VERSION, PluginManifest, hookimpl

MANIFEST = PluginManifest(name="broken_config", contract=CONTRACT_VERSION)


class StrictConfig(BaseModel):
    """A required key, on purpose."""

    endpoint: str


@hookimpl
def patron_config_model() -> type[BaseModel]:
    return StrictConfig
