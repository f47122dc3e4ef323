"""Decimal amount strings → integer minor units, exactly (never through float).

A currency's *exponent* is the number of minor-unit digits (USD 2 → cents, JPY 0,
KWD 3). ``"19.99"`` in USD is 1999; ``"19.999"`` in USD is refused rather than
rounded, because silently rounding money hides a data problem.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, DecimalException, Inexact, InvalidOperation

#: ISO 4217 codes whose exponent is not 2. Every other three-letter code has 2.
CURRENCY_EXPONENTS: dict[str, int] = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}
DEFAULT_EXPONENT = 2
#: The column is a signed 64-bit integer of minor units.
MAX_MINOR = 2**63 - 1

_CURRENCY = re.compile(r"^[A-Z]{3}\Z")
# ASCII digits only: str.isdigit and \d also accept other scripts' digits, which no export should contain.
_AMOUNT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
# Enough digits for any 64-bit amount at any exponent; Inexact trapped so nothing is ever rounded.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])


class AmountError(ValueError):
    """An amount or currency that cannot be stored exactly; the message says why."""


_known: dict[str, int] = {}  # codes already checked: imports ask about the same few codes millions of times


def currency_exponent(currency: str) -> int:
    """The number of minor-unit digits of ``currency`` (an upper-case ISO 4217 code)."""
    exponent = _known.get(currency)
    if exponent is not None:
        return exponent
    if not _CURRENCY.match(currency):
        raise AmountError(f"currency {currency!r} is not a three-letter ISO 4217 code such as EUR or USD")
    exponent = _known[currency] = CURRENCY_EXPONENTS.get(currency, DEFAULT_EXPONENT)
    return exponent


def parse_amount(text: str | int | Decimal, currency: str) -> int:
    """Convert a decimal amount such as ``"-12.50"`` to integer minor units of ``currency``.

    Accepts an optional sign, digits and one decimal point; no exponent, no
    thousands separators, no currency symbols. Refuses more decimal places than
    the currency has (unless they are zeros) and amounts beyond 64 bits.
    """
    exponent = currency_exponent(currency)
    if isinstance(text, bool):
        raise AmountError(f"amount {text!r} is not a number")
    raw = str(text).strip()
    if not _AMOUNT.match(raw):
        raise AmountError(f"amount {raw!r} is not a decimal number like 12.50 (no symbols or thousands separators)")
    try:
        scaled = _EXACT.scaleb(Decimal(raw), exponent)
    except DecimalException:
        # More digits than the exact context holds (over 60): far beyond any storable amount.
        raise AmountError(f"amount {raw[:20]}… ({len(raw)} characters) is too large to store") from None
    if scaled != scaled.to_integral_value():
        raise AmountError(f"amount {raw!r} has more than {exponent} decimal places, the most {currency} allows")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise AmountError(f"amount {raw!r} is too large to store")
    return minor


def format_minor(minor: int, currency: str) -> str:
    """The decimal string of ``minor`` units of ``currency`` (inverse of ``parse_amount``)."""
    exponent = currency_exponent(currency)
    if exponent == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"
