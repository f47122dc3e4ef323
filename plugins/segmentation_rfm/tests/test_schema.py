"""The plugin's migration creates exactly the tables its models declare, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

import patron.models
import patron_rfm.models  # noqa: F401 - puts the plugin's tables on Base.metadata
from patron.models import Base

CORE_TABLES = ("customers", "interactions", "consents", "audit_events")


def _only_what_we_compare(name: str | None, type_: str, parent_names: object) -> bool:
    # Version tables are Alembic's; other plugins' tables may share Base.metadata in this process.
    return not (
        type_ == "table"
        and name is not None
        and (name.startswith("patron_version_") or not (name.startswith("rfm_") or name in CORE_TABLES))
    )


def test_models_and_migration_agree(make_patron_app):
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in (*CORE_TABLES, "rfm_snapshots", "rfm_scores"):
        Base.metadata.tables[name].to_metadata(metadata)
    assert patron.models.Customer.__tablename__ in metadata.tables
    app = make_patron_app(plugins=["rfm"])
    with app.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _only_what_we_compare}
        )
        assert compare_metadata(context, metadata) == []
