"""The importer is a total function: hostile cells are rejected rows with a reason, never a crash.

Each case stopped a whole import with a traceback (exit 1) or stored junk before:
dates whose UTC instant leaves years 1–9999 (OverflowError), 5,000-digit JSON
integers (ValueError), JSON nested 100,000 deep (RecursionError), NUL bytes
(psycopg DataError printing the batch's names and emails), JSON objects and lists
in scalar fields (stored as their Python repr), and an unbalanced CSV quote that
swallowed every later row.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from patron.models import Customer, Interaction


def _import(app, cli, kind, path):
    result = cli(app, "import", kind, str(path))
    assert "Traceback" not in result.output
    print(result.exit_code, result.output)
    return result


def _rejects(path):
    return (path.parent / f"{path.name}.rejects.csv").read_text("utf-8")


def test_hostile_json_lines_are_rejected_rows(patron_app, patron_cli, tmp_path):
    lines = [
        '{"external_id": "ok1", "name": "Ann"}',
        '{"external_id": {"a": 1}, "name": "Obj"}',
        '{"external_id": "lst", "email": ["a@x.com"]}',
        '{"external_id": "nul", "name": "Secret\\u0000Name", "email": "secret@x.org"}',
        '{"external_id": "big", "attr": ' + "7" * 5000 + "}",
        '{"external_id": "deep", "attr": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"external_id": "cons", "consent_email": {"yes": true}}',
        '{"external_id": "ok2", "name": "Bo"}',
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _import(patron_app, patron_cli, "customers", path)
    assert result.exit_code == 8, result.output
    # No cell of any row is printed: the rejects file is the only place they go.
    assert "Secret" not in result.output and "secret@x.org" not in result.output
    rejects = _rejects(path)
    for reason in ("holds an object", "holds a list", "NUL character", "nested more than"):
        assert reason in rejects
    with patron_app.transaction() as s:
        stored = dict(s.execute(select(Customer.external_id, Customer.attributes)).all())
    assert set(stored) == {"ok1", "ok2", "big"}
    assert stored["big"] == {"attr": "7" * 5000}  # kept exact, as text


def test_dates_near_year_1_and_9999_are_rejected(patron_app, patron_cli, patron_factory, tmp_path):
    patron_factory(patron_app).customer(external_id="c1")
    path = tmp_path / "i.csv"
    path.write_text(
        "external_id,customer_external_id,kind,occurred_at\n"
        "i1,c1,call,9999-12-31T23:00:00-05:00\n"
        "i2,c1,call,0001-01-01T00:30:00+01:00\n"
        "i3,c1,call,9999-12-31T23:59:59+00:00\n"
        "i4,c1,call,0001-01-01T00:00:00+00:00\n",
        encoding="utf-8",
    )
    result = _import(patron_app, patron_cli, "interactions", path)
    assert result.exit_code == 8, result.output
    assert _rejects(path).count("outside the years 1 to 9999") == 2
    with patron_app.transaction() as s:
        assert sorted(s.scalars(select(Interaction.external_id))) == ["i3", "i4"]


def test_nul_bytes_in_csv_are_rejected_on_every_engine(patron_app, patron_cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"external_id,name,email\nc1,Ann,a@x.org\nc2,Secret\x00Name,secret@x.org\nc3,Cy,c@x.org\n")
    result = _import(patron_app, patron_cli, "customers", path)
    assert result.exit_code == 8, result.output
    assert "secret@x.org" not in result.output and "NUL character" in _rejects(path)
    with patron_app.transaction() as s:
        assert sorted(s.scalars(select(Customer.external_id))) == ["c1", "c3"]


def test_an_unbalanced_quote_names_its_line_and_loses_no_later_row(patron_app, patron_cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        'external_id,name,email\nc1,Ann,a@x.org\nc2,"Bob,b@x.org\nc3,Cy,c@x.org\nc4,Di,d@x.org\n', encoding="utf-8"
    )
    result = _import(patron_app, patron_cli, "customers", path)
    assert result.exit_code == 8, result.output
    assert "4 rows" in result.output
    rejects = _rejects(path).splitlines()
    assert len(rejects) == 2 and rejects[1].startswith("3,") and "quote opens on this line" in rejects[1]
    with patron_app.transaction() as s:
        assert sorted(s.scalars(select(Customer.external_id))) == ["c1", "c3", "c4"]


def test_a_quoted_multi_line_cell_still_works(patron_app, patron_cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('external_id,name,notes\nc1,Ann,"two\nlines"\nc2,Bo,x\n', encoding="utf-8")
    assert _import(patron_app, patron_cli, "customers", path).exit_code == 0
    with patron_app.transaction() as s:
        notes = dict(s.execute(select(Customer.external_id, Customer.attributes)).all())
    assert notes["c1"] == {"notes": "two\nlines"}


def test_json_scalars_of_payload_columns_may_be_documents(patron_app, patron_cli, patron_factory, tmp_path):
    patron_factory(patron_app).customer(external_id="c1")
    path = tmp_path / "i.jsonl"
    row = {"external_id": "i1", "customer_external_id": "c1", "kind": "call", "occurred_at": "2024-01-01"}
    path.write_text(json.dumps({**row, "meta": {"a": [1, 2]}}) + "\n", encoding="utf-8")
    assert _import(patron_app, patron_cli, "interactions", path).exit_code == 0
    with patron_app.transaction() as s:
        assert s.scalars(select(Interaction.payload)).one() == {"meta": {"a": [1, 2]}}


def test_amounts_of_any_length_are_rejected_not_a_crash(patron_app, patron_cli, patron_factory, tmp_path):
    patron_factory(patron_app).customer(external_id="c1")
    path = tmp_path / "i.csv"
    rows = [f"m{n},c1,purchase,2024-01-01,{'9' * n},EUR" for n in (30, 61, 70, 5000)]
    path.write_text("external_id,customer_external_id,kind,occurred_at,amount,currency\n" + "\n".join(rows) + "\n")
    result = _import(patron_app, patron_cli, "interactions", path)
    assert result.exit_code == 8, result.output
    assert _rejects(path).count("too large to store") == 4


def test_currencies_outside_iso_4217_are_rejected(patron_app, patron_cli, patron_factory, tmp_path):
    patron_factory(patron_app).customer(external_id="c1")
    path = tmp_path / "i.csv"
    rows = [f"m{code},c1,purchase,2024-01-01,1.00,{code}" for code in ("ZZZ", "BTC", "XXX", "EUR")]
    path.write_text("external_id,customer_external_id,kind,occurred_at,amount,currency\n" + "\n".join(rows) + "\n")
    assert _import(patron_app, patron_cli, "interactions", path).exit_code == 8
    assert _rejects(path).count("not an ISO 4217 currency") == 3
    with patron_app.transaction() as s:
        assert s.scalars(select(Interaction.currency)).all() == ["EUR"]


class _RefusingPlugin:
    """Writes the batch's names into a unique column twice: the database refuses the whole batch."""

    @staticmethod
    def _hook(session, customer_ids):
        from sqlalchemy import insert

        names = [n for (n,) in session.execute(select(Customer.name).where(Customer.id.in_(customer_ids)))]
        session.execute(insert(Customer), [{"external_id": names[0], "name": n, "attributes": {}} for n in names * 2])


def test_a_database_refusal_names_lines_never_values(patron_app, patron_inline_plugin, tmp_path):
    from patron import hookimpl
    from patron.errors import PatronError
    from patron.importer import ImportOptions, run_import

    class Plugin:
        @hookimpl
        def patron_customers_upserted(self, session, customer_ids):
            _RefusingPlugin._hook(session, customer_ids)

    patron_inline_plugin(patron_app, Plugin(), "refusing")
    path = tmp_path / "c.csv"
    path.write_text("external_id,name,email\nc1,Secretname Person,secret@x.org\n", encoding="utf-8")
    with pytest.raises(PatronError) as caught:
        run_import(patron_app, ImportOptions("customers", path))
    message = str(caught.value)
    assert "Secretname" not in message and "secret@x.org" not in message, message
    with patron_app.transaction() as s:
        assert s.scalars(select(Customer.external_id)).all() == []
