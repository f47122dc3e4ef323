"""The schema: migrations and models agree, and the consent log is append-only, on both databases."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, delete, exc, insert, update

import patron
from patron.models import Base, Consent

CORE = Path(patron.__file__).parent


def _import_core_models() -> None:
    # Every core module that declares tables must be imported for its tables to be compared.
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" not in path.parts and "(Base)" in path.read_text(encoding="utf-8"):
            importlib.import_module(".".join(("patron", *path.relative_to(CORE).with_suffix("").parts)))


def core_and_probe_metadata() -> MetaData:
    """The tables of the core's and the probe's models only.

    Other plugins' models may be imported in the same test process; their tables
    come from their own migrations, which this database has not run.
    """
    import patron_probe.models  # noqa: F401 - puts the probe's table on Base.metadata

    _import_core_models()
    owned = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.startswith(("patron.", "patron_probe."))
    }
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for name in sorted(owned):
        Base.metadata.tables[name].to_metadata(metadata)
    return metadata


def _not_a_version_table(name: str | None, type_: str, parent_names: object) -> bool:
    # Alembic's per-branch version tables are not models; everything else must match.
    return not (type_ == "table" and name is not None and name.startswith("patron_version_"))


def test_models_and_migrations_agree(make_patron_app):
    metadata = core_and_probe_metadata()
    assert {"customers", "interactions", "consents", "audit_events", "probe_notes"} <= set(metadata.tables)
    app = make_patron_app(plugins=["probe"])
    with app.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_a_version_table}
        )
        differences = compare_metadata(context, metadata)
        # The comparison is sharp enough to see a one-column drift.
        metadata.tables["customers"].append_column(Column("nickname", String(40)))
        drift = compare_metadata(context, metadata)
    assert differences == []
    assert [d[0] for d in drift] == ["add_column"]


@pytest.fixture
def consent_id(patron_app, patron_factory) -> int:
    customer = patron_factory(patron_app).customer()
    with patron_app.transaction() as session:
        return session.execute(
            insert(Consent).returning(Consent.id),
            [
                {
                    "customer_id": customer,
                    "channel": "email",
                    "purpose": "marketing",
                    "granted": True,
                    "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
                    "source": "test",
                }
            ],
        ).scalar_one()


@pytest.mark.parametrize(
    "statement",
    [
        lambda cid: update(Consent).where(Consent.id == cid).values(granted=False),
        lambda cid: delete(Consent).where(Consent.id == cid),
    ],
    ids=["update", "delete"],
)
def test_consent_log_refuses_update_and_delete(patron_app, consent_id, statement):
    with pytest.raises(exc.DBAPIError, match="consents is an append-only log"):  # noqa: SIM117
        with patron_app.transaction() as session:
            session.execute(statement(consent_id))
    with patron_app.transaction() as session:
        assert session.get(Consent, consent_id).granted is True
