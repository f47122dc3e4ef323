"""The schema: migrations and models agree, and the consent log is append-only, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, delete, exc, insert, update

from patron.models import Base, Consent


def _not_a_version_table(name: str | None, type_: str, parent_names: object) -> bool:
    # Alembic's per-branch version tables are not models; everything else must match.
    return not (type_ == "table" and name is not None and name.startswith("patron_version_"))


def test_models_and_migrations_agree(make_patron_app):
    import patron_probe.models  # noqa: F401 - puts the probe's table on Base.metadata

    app = make_patron_app(plugins=["probe"])
    with app.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_a_version_table}
        )
        differences = compare_metadata(context, Base.metadata)
        # The comparison is sharp enough to see a one-column drift.
        drifted = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.tables.values():
            table.to_metadata(drifted)
        drifted.tables["customers"].append_column(Column("nickname", String(40)))
        drift = compare_metadata(context, drifted)
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
