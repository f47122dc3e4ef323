"""The importer's fast amount path gives exactly what ``patron.money.to_minor`` gives, error or value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from patron.importer.rows import _to_minor
from patron.money import MoneyError, to_minor

AMOUNTS = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{1,20}(\.[0-9]{0,6})?\Z"),
    st.from_regex(r"\A[+-]?\.[0-9]{1,4}\Z"),
    st.text(alphabet="0123456789.+-e, ", min_size=1, max_size=12),
)


def outcome(fn, amount: str, currency: str) -> object:
    try:
        return fn(amount, currency)
    except MoneyError as exc:
        return ("refused", str(exc))


@given(AMOUNTS, st.sampled_from(["EUR", "JPY", "BHD", "CLF", "USD"]))
def test_fast_amount_path_agrees_with_to_minor(amount: str, currency: str) -> None:
    assert outcome(_to_minor, amount, currency) == outcome(to_minor, amount, currency)
