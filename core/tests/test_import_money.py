"""Amounts → integer minor units: exact, reversible, and refusing anything ambiguous."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.money import EXPONENTS, MAX_MINOR
from patron.money import MoneyError as AmountError
from patron.money import amount_str as format_minor
from patron.money import to_minor as parse_amount

CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "KWD", "CLF", "GBP"])


@given(minor=st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), currency=CURRENCIES)
def test_format_then_parse_round_trips(minor, currency):
    assert parse_amount(format_minor(minor, currency), currency) == minor


@given(
    sign=st.sampled_from(["", "-", "+"]),
    whole=st.integers(min_value=0, max_value=10**12),
    fraction=st.text(alphabet="0123456789", max_size=3),
    currency=CURRENCIES,
)
def test_parsing_is_exact_integer_arithmetic(sign, whole, fraction, currency):
    exponent = EXPONENTS[currency]
    text = f"{sign}{whole}" + (f".{fraction}" if fraction else "")
    significant = fraction.rstrip("0")
    if len(significant) > exponent:
        with pytest.raises(AmountError, match=f"more than {exponent} decimal places"):
            parse_amount(text, currency)
        return
    # The expected value by string arithmetic alone: no float and no Decimal involved.
    expected = int(str(whole) + significant.ljust(exponent, "0")) * (-1 if sign == "-" else 1)
    assert parse_amount(text, currency) == expected


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_a_float_that_needs_more_digits_is_refused_not_rounded(value):
    text = repr(value)
    if "e" in text.lower():
        with pytest.raises(AmountError):
            parse_amount(text, "EUR")
        return
    exact = Decimal(text) * 100
    if exact == exact.to_integral_value():
        assert parse_amount(text, "EUR") == int(exact)
    else:
        with pytest.raises(AmountError):
            parse_amount(text, "EUR")


@given(st.text(max_size=12))
def test_anything_but_a_plain_ascii_decimal_is_rejected(text):
    if re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text.strip(), flags=re.ASCII):
        return
    with pytest.raises(AmountError):
        parse_amount(text, "EUR")


def test_digits_of_other_scripts_are_refused():
    with pytest.raises(AmountError, match="not a decimal number"):
        parse_amount("\u0661\u0662", "EUR")  # Arabic-Indic 12: Decimal() would accept it


@pytest.mark.parametrize("text", ["1e3", "1,000.00", "€12", "NaN", "Infinity", "12.", "", " ", "--1", "1.2.3"])
def test_examples_of_refused_amounts(text):
    if text == "12.":
        assert parse_amount(text, "EUR") == 1200  # a trailing point is still an exact number
        return
    with pytest.raises(AmountError, match="is not a decimal number"):
        parse_amount(text, "EUR")


def test_currency_exponents_and_messages():
    assert parse_amount("1234", "JPY") == 1234
    assert parse_amount("1.234", "KWD") == 1234
    assert parse_amount("19.90", "EUR") == 1990
    assert parse_amount("-0.5", "USD") == -50
    with pytest.raises(AmountError, match="more than 0 decimal places, the most JPY allows"):
        parse_amount("1.5", "JPY")
    with pytest.raises(AmountError, match="three-letter ISO 4217"):
        parse_amount("1", "euro")
    with pytest.raises(AmountError, match="too large"):
        parse_amount(str(10**18), "EUR")
