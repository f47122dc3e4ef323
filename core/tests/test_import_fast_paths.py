"""The importer's fast paths give exactly what its careful paths give, for any input.

- the CSV reader, which reads blocks of lines, yields the same rows and raises the
  same errors whatever the block size (a block may end inside a quoted field, a
  record swallowed by an unclosed quote, or just before a line that cannot be decoded);
- the short row parsers (``interaction_parser``, ``customer_parser``) agree with
  ``parse_interaction`` and ``parse_customer``, value or reason, on any row;
- the per-batch garbage collection leaves the collector as it found it.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.errors import InputError
from patron.importer import ImportOptions, run_import
from patron.importer import readers as readers_module
from patron.importer import rows as rowmod
from patron.importer.dates import date_parser
from patron.importer.readers import Reader

# -- the reader -----------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(["", "a", "x y", " padded ", "ünïcode", '"', '""', "a,b", "\r", "\x00"]),
    st.text(alphabet='ab,"\n\r \x00é', max_size=8),
)
LINES = st.lists(st.lists(CELLS, min_size=1, max_size=4).map(",".join), max_size=12)


def read_all(path: Path, encoding: str = "utf-8") -> tuple[list[tuple[Any, ...]], str | None]:
    """Every row the reader yields, then the error that ended it (None when it ended normally)."""
    reader = Reader(path, "csv", {}, encoding)
    out: list[tuple[Any, ...]] = []
    try:
        for row in reader.rows():
            out.append((row.line, row.values, row.original, row.problem))
    except InputError as exc:
        return out, str(exc)
    return out, None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=LINES,
    newline=st.sampled_from(["\n", "\r\n"]),
    block=st.integers(min_value=1, max_value=40),
    bom=st.booleans(),
    bad_byte_at=st.one_of(st.none(), st.integers(min_value=0, max_value=12)),
)
def test_csv_rows_do_not_depend_on_the_block_size(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    newline: str,
    block: int,
    bom: bool,
    bad_byte_at: int | None,
) -> None:
    data = ("a,b,c" + newline + newline.join(lines) + newline).encode()
    if bad_byte_at is not None:
        # An undecodable byte at the start of some line: the rows before it come first, then the error.
        parts = data.split(b"\n")
        at = min(bad_byte_at + 1, len(parts) - 1)
        parts[at] = b"\xff" + parts[at]
        data = b"\n".join(parts)
    path = tmp_path / "f.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    whole = read_all(path)
    monkeypatch.setattr(readers_module, "_BLOCK", block)
    assert read_all(path) == whole


def test_a_quoted_field_across_many_blocks_is_one_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = "\n".join(f"line {i}" for i in range(200))
    path = tmp_path / "f.csv"
    path.write_text(f'id,note,n\n1,"{note}",a\n2,"unclosed,b\n3,x,c\n4,y,d\n', encoding="utf-8")
    monkeypatch.setattr(readers_module, "_BLOCK", 16)
    rows, error = read_all(path)
    assert error is None
    assert rows[0] == (2, {"id": "1", "note": note, "n": "a"}, ["1", note, "a"], None)
    # The unclosed quote on line 202 swallows the lines after it; they are read again as rows of their own.
    assert rows[1][0] == 202 and rows[1][2] == ['2,"unclosed,b'] and rows[1][3] is not None
    assert rows[2:] == [
        (203, {"id": "3", "note": "x", "n": "c"}, ["3", "x", "c"], None),
        (204, {"id": "4", "note": "y", "n": "d"}, ["4", "y", "d"], None),
    ]


def test_a_decoding_error_in_a_later_block_names_its_line_and_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [f"{i},v{i}" for i in range(50)]
    data = ("id,v\n" + "\n".join(lines) + "\n").encode()
    offset = data.index(b"30,v30")
    path = tmp_path / "f.csv"
    path.write_bytes(data[:offset] + b"\xff" + data[offset:])
    monkeypatch.setattr(readers_module, "_BLOCK", 64)
    rows, error = read_all(path)
    assert [r[0] for r in rows] == list(range(2, 32))  # every row before line 32
    assert error is not None and f"line 32 (byte offset {offset})" in error


# -- the row parsers ------------------------------------------------------------

TEXT = st.one_of(
    st.sampled_from(["", " ", "c1", " c1 ", "x" * 255, "x" * 256, "k" * 65, "ü"]),
    st.text(max_size=6),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "2024-03-01",
            "2024-03-01T10:15:00Z",
            " 2024-03-01 10:15:00 ",
            "2024-03-01T10:15:00+02:00",
            "2024-03-01T10:15:00.123456-05:30",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:30:00-01:00",
            "01/03/2024",
            "2024-13-01",
            "",
        ]
    ),
    st.text(max_size=6),
)
AMOUNTS = st.one_of(
    st.sampled_from(
        ["", "0", "12", "12.5", "12.50", "12.505", "-3.1", "+3", "1e3", ".5", "5.", "١٢", "99999999999999.99"]
    ),
    st.from_regex(r"\A[+-]?[0-9]{1,16}(\.[0-9]{0,5})?\Z"),
    st.text(alphabet="0123456789.+- e", max_size=6),
)
CURRENCIES = st.sampled_from(["", "EUR", "eur", " usd ", "JPY", "BHD", "XXX", "EU", "BTC"])


@st.composite
def interaction_rows(draw: st.DrawFn) -> tuple[dict[str, str], tuple[str, ...]]:
    columns = ["external_id", "customer_external_id", "kind", "occurred_at"]
    columns += draw(st.lists(st.sampled_from(["amount", "currency", "channel"]), unique=True))
    extra = tuple(draw(st.lists(st.sampled_from(["cds", "note"]), unique=True)))
    strategies = {"occurred_at": DATES, "amount": AMOUNTS, "currency": CURRENCIES, "cds": TEXT, "note": TEXT}
    values = {c: draw(strategies.get(c, TEXT)) for c in [*columns, *extra]}
    return values, extra


@settings(max_examples=500, deadline=None)
@given(row=interaction_rows(), date_format=st.sampled_from([None, "%d/%m/%Y"]))
def test_the_short_interaction_parser_agrees_with_parse_interaction(
    row: tuple[dict[str, str], tuple[str, ...]], date_format: str | None
) -> None:
    values, extra = row
    parse_date = date_parser(date_format)
    fast = rowmod.interaction_parser(parse_date, extra, iso_dates=date_format is None)
    assert fast(values) == rowmod.parse_interaction(values, parse_date, extra)


@st.composite
def customer_rows(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    columns = ["external_id", *draw(st.lists(st.sampled_from(["name", "email", "phone", "created_at"]), unique=True))]
    columns += draw(st.lists(st.sampled_from(["consent_email", "tier"]), unique=True, max_size=1))
    emails = st.one_of(TEXT, st.sampled_from(["a@b.example", " a@b.example ", "no-at-sign", "@"]))
    strategies = {"created_at": DATES, "email": emails, "consent_email": st.sampled_from(["yes", "no", "", "maybe"])}
    return {c: draw(strategies.get(c, TEXT)) for c in columns}, columns


@settings(max_examples=500, deadline=None)
@given(row=customer_rows(), date_format=st.sampled_from([None, "%d/%m/%Y"]))
def test_the_short_customer_parser_agrees_with_parse_customer(
    row: tuple[dict[str, str], list[str]], date_format: str | None
) -> None:
    values, columns = row
    parse_date = date_parser(date_format)
    has_attributes = "tier" in columns
    fast = rowmod.customer_parser(columns, parse_date, has_attributes)
    assert fast(values) == rowmod.parse_customer(values, parse_date, has_attributes)


# -- garbage collection ---------------------------------------------------------


def test_an_import_leaves_the_garbage_collector_as_it_found_it(patron_app, tmp_path: Path) -> None:
    good = tmp_path / "customers.csv"
    good.write_text("external_id,name\n" + "".join(f"c{i},N{i}\n" for i in range(7)), encoding="utf-8")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    summary = run_import(patron_app, ImportOptions("customers", good, batch_size=2))
    assert summary.inserted == 7
    assert gc.isenabled() and gc.get_freeze_count() == 0
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"external_id,name\nc9,N\n\xff,bad\n")
    with pytest.raises(InputError, match="line 3"):
        run_import(patron_app, ImportOptions("customers", broken, batch_size=1))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        run_import(patron_app, ImportOptions("customers", good))
        assert not gc.isenabled(), "a collector turned off by the caller stays off"
    finally:
        gc.enable()


# -- repeated external ids across batches -----------------------------------------


def test_an_id_is_a_repeat_only_of_a_row_that_was_imported(patron_app, patron_factory, tmp_path: Path) -> None:
    """A row refused while writing (unknown customer) does not make a later row with its id a repeat.

    One row per batch, so each repeat is found in the scratch database, not within its batch.
    """
    patron_factory(patron_app).customer(external_id="c1")
    path = tmp_path / "interactions.csv"
    path.write_text(
        "external_id,customer_external_id,kind,occurred_at\n"
        "p1,nobody,purchase,2024-01-01\n"  # line 2: refused, unknown customer
        "p1,c1,purchase,2024-01-02\n"  # line 3: imported
        "p2,c1,purchase,2024-01-03\n"  # line 4: imported
        "p1,c1,purchase,2024-01-04\n"  # line 5: a repeat of line 3
        "p2,c1,purchase,2024-01-05\n",  # line 6: a repeat of line 4
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    summary = run_import(patron_app, ImportOptions("interactions", path, batch_size=1, rejects_path=rejects))
    assert (summary.inserted, summary.rejected) == (2, 3)
    lines = rejects.read_text(encoding="utf-8").splitlines()[1:]
    reasons = {int(line.split(",")[0]): line for line in lines}
    assert sorted(reasons) == [2, 5, 6]
    assert "no customer" in reasons[2]
    assert "already on line 3" in reasons[5] and "already on line 4" in reasons[6]
