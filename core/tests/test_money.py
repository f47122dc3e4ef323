"""patron.money: one ISO 4217 table, exact conversions, formatting for people, SQL major units."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import literal, select

from patron.money import (
    EXPONENTS,
    ROUNDING,
    Money,
    UnknownCurrency,
    amount_str,
    exponent,
    format_money,
    is_currency,
    major_units,
    round_money,
    round_ratio,
    to_major,
    to_minor,
)


@pytest.mark.parametrize(
    ("code", "exp"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("XOF", 0), ("IQD", 3), ("KWD", 3), ("CLF", 4), ("UYW", 4)]
)
def test_iso_exponents(code, exp):
    assert exponent(code) == exp and is_currency(code)


@pytest.mark.parametrize("code", ["XXX", "XAU", "XTS", "BTC", "ZZZ", "eur", "EURO", ""])
def test_codes_that_are_not_iso_currencies_with_a_minor_unit_are_refused(code):
    assert not is_currency(code)
    with pytest.raises(UnknownCurrency):
        exponent(code)
    with pytest.raises(ValueError):
        to_minor("1", code)


def test_the_table_is_the_only_one():
    # The importer and the reports used to keep their own tables (27 and 10 codes) which disagreed.
    import patron.importer.rows as rows
    import patron.reports.sqlparts as sqlparts

    assert not hasattr(sqlparts, "MINOR_DIGITS") and rows.exponent is exponent
    assert len(EXPONENTS) > 150


def test_conversions_are_exact_and_reversible():
    assert to_minor("0.1000", "CLF") == 1000 and to_minor(Decimal("19.99"), "EUR") == 1999
    assert to_major(1000, "CLF") == Decimal("0.1000") and to_major(1000, "XOF") == Decimal(1000)
    assert amount_str(1000, "CLF") == "0.1000" and amount_str(-5, "USD") == "-0.05"
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        to_minor(Decimal("1.5"), "JPY")


def test_rounding_is_half_even_for_money_and_ratios():
    assert ROUNDING == "ROUND_HALF_EVEN"
    assert round_money(Decimal("32.5685"), "USD") == Decimal("32.57")
    assert round_money(Decimal("0.125"), "EUR") == Decimal("0.12") and round_money(Decimal("0.135"), "EUR") == Decimal(
        "0.14"
    )
    assert round_ratio(Decimal("0.4450")) == Decimal("0.44")
    # Fractional minor units (means, expectations) to a whole one, the same way.
    assert Money.rounded(3257.5, "USD") == Money(3258, "USD") and Money.rounded(3256.5, "USD") == Money(3256, "USD")
    assert Money.rounded(2.675, "EUR") == Money(3, "EUR") and Money.rounded(Decimal("-0.5"), "JPY") == Money(0, "JPY")
    assert Money.rounded(7, "USD") == Money(7, "USD")


def test_formatting_uses_cldr_symbols_and_iso_decimals():
    assert format_money(250031563, "USD") == "$2,500,315.63"
    assert format_money(43483069, "EUR", "de_DE") == "434.830,69\u00a0€"
    assert format_money(1000, "CLF") == "CLF\u00a00.1000"
    assert format_money(1000, "XOF").endswith("\u00a01,000")
    assert format_money(5000, "IQD") == "IQD\u00a05.000"  # CLDR shows IQD without decimals; ISO has 3
    assert Money(-1250, "EUR").format() == "-€12.50" and str(Money(1000, "CLF")) == "0.1000 CLF"
    with pytest.raises(UnknownCurrency):
        Money(1, "BTC")


def test_importing_patron_money_does_not_import_babel():
    code = "import sys, patron.money; print('babel' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize(
    ("minor", "code", "expected"), [(1999, "EUR", "19.99"), (1000, "CLF", "0.1000"), (7, "JPY", "7")]
)
def test_major_units_in_sql_on_both_engines(patron_app, minor, code, expected):
    with patron_app.transaction() as session:
        value = session.scalar(select(major_units(literal(minor), code)))
    assert value == Decimal(expected)
