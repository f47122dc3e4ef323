"""Money: ISO 4217 currencies, exact minor units, formatting for people, SQL for major units.

This module is the one place Patron decides what a currency's *exponent* is
(the number of minor-unit digits: USD 2 → cents, JPY and XOF 0, KWD 3, CLF 4),
how an amount string becomes integer minor units, how an amount is shown to a
person, and how money and ratios are rounded. The importer, the reports and the
plugins all use it, so a currency cannot mean one thing on import and another in
a report.

- Storage is integer minor units plus the ISO code, never a float.
- Parsing is exact: ``"19.999"`` USD is refused rather than rounded, because
  silently rounding money hides a data problem.
- Only active ISO 4217 codes with a minor unit are currencies here. Codes ISO
  lists without one (``XXX`` "no currency", ``XAU`` gold, ``XTS`` testing, ``XDR``)
  and codes ISO does not list at all (``BTC``, ``ZZZ``) raise ``UnknownCurrency``.
- Formatting for people goes through Babel (CLDR's symbols, separators and
  patterns per locale: ``$2,500,315.63``, ``2.500.315,63 $``) with ISO's exponent,
  not CLDR's display digits, so 1000 minor units of CLF show as ``CLF 0.1000``
  and 1000 XOF as ``F CFA 1,000``. Babel is imported only when something is
  formatted, so ``patron --help`` does not pay for it.
- Rounding: ``ROUNDING`` (half-even, "banker's rounding") is the one rule for
  computed money (an average order value) and ratios; it has no upward bias
  when many rounded values are summed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, DecimalException, Inexact, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

#: The one rounding rule for money and ratios Patron computes (``Decimal.quantize(..., rounding=ROUNDING)``).
ROUNDING = ROUND_HALF_EVEN

#: The column is a signed 64-bit integer of minor units.
MAX_MINOR = 2**63 - 1

# ISO 4217 list one (active codes with a minor unit), by exponent. Funds codes (BOV, CHE, CHW,
# CLF, COU, MXV, USN, UYI, UYW) are included: they are real units of account.
_BY_EXPONENT: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
        "GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD "
        "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
        "PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL "
        "THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
#: ISO 4217 code → exponent (number of minor-unit digits), for every currency Patron accepts.
EXPONENTS: dict[str, int] = {code: exp for exp, codes in _BY_EXPONENT.items() for code in codes.split()}

_CODE = re.compile(r"^[A-Z]{3}\Z")
# ASCII digits only: str.isdigit and \d also accept other scripts' digits, which no export should contain.
_AMOUNT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
# Enough digits for any 64-bit amount at any exponent; Inexact trapped so nothing is ever rounded.
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])
# CLDR's currency spacing (babel does not apply it): a letter of a symbol never touches a digit.
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


class MoneyError(ValueError):
    """An amount or currency that cannot be stored or shown exactly; the message says why."""


class UnknownCurrency(MoneyError):
    """A code that is not an active ISO 4217 currency with a minor unit."""


def exponent(code: str) -> int:
    """The number of minor-unit digits of ``code``, an upper-case ISO 4217 code (``"JPY"`` → 0).

    :raises UnknownCurrency: for a code that is not an active ISO 4217 currency with a minor unit.
    """
    exp = EXPONENTS.get(code)
    if exp is not None:
        return exp
    if not isinstance(code, str) or not _CODE.match(code):
        raise UnknownCurrency(f"currency {code!r} is not a three-letter ISO 4217 code such as EUR or USD")
    raise UnknownCurrency(
        f"currency {code!r} is not an ISO 4217 currency with a minor unit "
        "(codes such as XXX, XAU or BTC cannot be stored as money)"
    )


def is_currency(code: object) -> bool:
    """True when ``code`` is an ISO 4217 code Patron accepts."""
    return isinstance(code, str) and code in EXPONENTS


def to_minor(amount: str | int | Decimal, code: str) -> int:
    """Convert a decimal amount such as ``"-12.50"`` to integer minor units of ``code``, exactly.

    Accepts an optional sign, ASCII digits and one decimal point; no exponent, no
    thousands separators, no currency symbols. Refuses more decimal places than
    the currency has (unless they are zeros) and amounts beyond 64 bits.

    :raises MoneyError: (a ``ValueError``) with a message saying what is wrong.
    """
    exp = exponent(code)
    if isinstance(amount, bool):
        raise MoneyError(f"amount {amount!r} is not a number")
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise MoneyError(f"amount {amount} is not a finite number")
        raw = str(amount)
        scaled = _scaled(amount, exp, raw)
    else:
        raw = str(amount).strip()
        if not _AMOUNT.match(raw):
            raise MoneyError(f"amount {raw!r} is not a decimal number like 12.50 (no symbols or thousands separators)")
        scaled = _scaled(Decimal(raw), exp, raw)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"amount {raw!r} has more than {exp} decimal places, the most {code} allows")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise MoneyError(f"amount {raw!r} is too large to store")
    return minor


def _scaled(amount: Decimal, exp: int, raw: str) -> Decimal:
    try:
        return _EXACT.scaleb(amount, exp)
    except DecimalException:
        # More digits than the exact context holds (over 60): far beyond any storable amount.
        shown = raw if len(raw) <= 24 else f"{raw[:20]}… ({len(raw)} characters)"
        raise MoneyError(f"amount {shown} is too large to store") from None


def to_major(minor: int, code: str) -> Decimal:
    """Integer minor units → the exact amount in major units (``1999, "EUR"`` → ``Decimal("19.99")``)."""
    exp = exponent(code)
    return Decimal(int(minor)).scaleb(-exp)


def amount_str(minor: int, code: str) -> str:
    """The plain decimal string of ``minor`` units (``1000, "CLF"`` → ``"0.1000"``); inverse of ``to_minor``."""
    exp = exponent(code)
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor)).rjust(exp + 1, "0")
    return f"{sign}{digits[:-exp]}.{digits[-exp:]}"


def round_money(value: Decimal, code: str) -> Decimal:
    """``value`` (major units) rounded to ``code``'s minor unit with ``ROUNDING`` (32.5685 USD → 32.57)."""
    return value.quantize(Decimal(1).scaleb(-exponent(code)), rounding=ROUNDING)


def round_ratio(value: Decimal | int | float, places: int = 2) -> Decimal:
    """A ratio or rate rounded to ``places`` decimals with ``ROUNDING``."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)


def format_money(minor: int, code: str, locale: str = "en_US") -> str:
    """``minor`` units of ``code`` as a person reads them in ``locale`` (``$2,500,315.63``).

    Symbols, separators and the pattern come from CLDR through Babel; the number
    of decimals is always ISO 4217's exponent, so the amount is exact.
    """
    import copy

    from babel import Locale

    exp = exponent(code)
    loc = Locale.parse(locale)
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (exp, exp)
    text = pattern.apply(to_major(minor, code), loc, currency=code, currency_digits=False)
    return _LETTER_DIGIT.sub("\u00a0", text)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money as a report cell or summary value: integer minor units and an ISO code.

    The renderers show it formatted for people (HTML, Markdown) and keep it exact
    for machines (CSV: the decimal amount plus a currency column; JSON: an object
    ``{"amount": "0.1000", "currency": "CLF"}``).
    """

    minor: int
    currency: str

    def __post_init__(self) -> None:
        exponent(self.currency)
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyError(f"Money.minor must be an int of minor units, not {self.minor!r}")

    @classmethod
    def rounded(cls, minor: int | float | Decimal, currency: str) -> Money:
        """A fractional amount of minor units (a mean, an expectation) rounded to a whole one with ``ROUNDING``.

        ``Money.rounded(3257.5, "USD")`` is ``Money(3258, "USD")``; the float's
        shortest text is rounded, so ``2.675`` becomes 3, never 2.
        """
        return cls(int(Decimal(str(minor)).quantize(Decimal(1), rounding=ROUNDING)), currency)

    @property
    def amount(self) -> Decimal:
        """The exact amount in major units."""
        return to_major(self.minor, self.currency)

    def plain(self) -> dict[str, str]:
        """The exact machine form: ``{"amount": "<decimal string>", "currency": "<ISO code>"}``."""
        return {"amount": amount_str(self.minor, self.currency), "currency": self.currency}

    def format(self, locale: str = "en_US") -> str:
        """Formatted for people (see ``format_money``)."""
        return format_money(self.minor, self.currency, locale)

    def __str__(self) -> str:
        return f"{amount_str(self.minor, self.currency)} {self.currency}"


def major_units(column: Any, currency: str) -> ColumnElement[Decimal]:
    """SQL: an integer minor-units ``column`` of ``currency`` in major units, as a Decimal.

    Exact on PostgreSQL (``numeric``). SQLite has no decimal type and computes in
    double precision, which is exact to the minor unit for amounts below 2**53
    minor units; the result is rounded to the currency's exponent when read.
    """
    from sqlalchemy import Numeric, literal, type_coerce

    exp = exponent(currency)
    result_type = Numeric(38, exp, asdecimal=True, decimal_return_scale=exp)
    return type_coerce(column * literal(Decimal(1).scaleb(-exp), Numeric(38, exp)), result_type)
