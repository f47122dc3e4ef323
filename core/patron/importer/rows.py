"""Row validation: raw cells → the dictionaries ``patron.ingest`` writes, or a reason.

Each parser returns either a parsed row or a ``RowError`` naming the column and
the reason, so the runner can send the row to the rejects file and go on.
Empty cells mean "no value". Columns the core does not know go to a customer's
``attributes`` or an interaction's ``payload``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from patron.importer.dates import DateError
from patron.money import EXPONENTS, MoneyError, exponent, to_minor

CUSTOMER_COLUMNS = ("external_id", "name", "email", "phone", "created_at")
CUSTOMER_REQUIRED = ("external_id",)
INTERACTION_COLUMNS = (
    "external_id",
    "customer_external_id",
    "kind",
    "occurred_at",
    "amount",
    "currency",
    "channel",
)
INTERACTION_REQUIRED = ("external_id", "customer_external_id", "kind", "occurred_at")
CONSENT_PREFIX = "consent_"
#: The purpose of consent given in an import's ``consent_<channel>`` column.
IMPORT_CONSENT_PURPOSE = "marketing"

_YES = frozenset({"yes", "y", "true", "t", "1"})
_NO = frozenset({"no", "n", "false", "f", "0"})
_LIMITS = {
    "external_id": 255,
    "customer_external_id": 255,
    "name": 255,
    "email": 320,
    "phone": 64,
    "kind": 64,
    "channel": 64,
}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was rejected: the column at fault (``-`` for the whole row) and the reason."""

    column: str
    reason: str


@dataclass(slots=True)
class CustomerRow:
    """A validated customer row: the upsert values and the consent cells."""

    values: dict[str, Any]
    #: ``{channel: granted}`` from ``consent_<channel>`` cells that were not empty.
    consents: dict[str, bool]


def _text(values: Mapping[str, Any], column: str) -> str:
    value = values.get(column, "")
    if not isinstance(value, str):
        value = str(value)
    return value.strip()


def _check_length(column: str, value: str) -> RowError | None:
    limit = _LIMITS.get(column)
    if limit is not None and len(value) > limit:
        return RowError(column, f"is {len(value)} characters long; at most {limit} are allowed")
    return None


def parse_customer(
    values: Mapping[str, Any], parse_date: Callable[[str], datetime], has_attributes: bool
) -> CustomerRow | RowError:
    """Validate one customer row."""
    external_id = _text(values, "external_id")
    if not external_id:
        return RowError("external_id", "is empty; every customer needs the id it has in your source system")
    out: dict[str, Any] = {"external_id": external_id}
    for column in ("name", "email", "phone"):
        if column in values:
            text = _text(values, column)
            error = _check_length(column, text)
            if error:
                return error
            out[column] = text or None
    if external_id and (error := _check_length("external_id", external_id)):
        return error
    if out.get("email") and "@" not in out["email"]:
        return RowError("email", f"{out['email']!r} is not an email address")
    created = _text(values, "created_at")
    if created:
        try:
            out["created_at"] = parse_date(created)
        except DateError as exc:
            return RowError("created_at", str(exc))
    consents: dict[str, bool] = {}
    attributes: dict[str, Any] = {}
    for column, raw in values.items():
        if column in CUSTOMER_COLUMNS:
            continue
        if column.startswith(CONSENT_PREFIX):
            channel = column[len(CONSENT_PREFIX) :]
            cell = raw.strip().lower() if isinstance(raw, str) else str(raw).lower()
            if not cell:
                continue
            if cell in _YES:
                consents[channel] = True
            elif cell in _NO:
                consents[channel] = False
            else:
                return RowError(column, f"{raw!r} is not yes/no, true/false or 1/0")
            continue
        attributes[column] = raw
    if has_attributes:
        out["attributes"] = attributes
    return CustomerRow(out, consents)


def customer_parser(
    columns: list[str], parse_date: Callable[[str], datetime], has_attributes: bool
) -> Callable[[Mapping[str, Any]], CustomerRow | RowError]:
    """``parse_customer`` for the rows of a CSV file with ``columns``, faster when they are only the core's.

    Such a row has no consent and no attributes; the short path checks its
    cells and hands any row it is not sure of (an empty or long cell, an email
    without ``@``, a date it cannot read) to ``parse_customer``, which accepts or
    rejects it with its message: both give the same result for every row.
    """
    if has_attributes or any(c not in CUSTOMER_COLUMNS for c in columns):
        return lambda values: parse_customer(values, parse_date, has_attributes)
    present = tuple((c, _LIMITS[c]) for c in ("name", "email", "phone") if c in columns)
    dated = "created_at" in columns
    id_limit = _LIMITS["external_id"]

    def parse(values: Mapping[str, Any]) -> CustomerRow | RowError:
        external_id = values["external_id"].strip()
        if not external_id or len(external_id) > id_limit:
            return parse_customer(values, parse_date, has_attributes)
        out: dict[str, Any] = {"external_id": external_id}
        for column, limit in present:
            text = values[column].strip()
            if len(text) > limit:
                return parse_customer(values, parse_date, has_attributes)
            out[column] = text or None
        email = out.get("email")
        if email and "@" not in email:
            return parse_customer(values, parse_date, has_attributes)
        if dated and (created := values["created_at"].strip()):
            try:
                out["created_at"] = parse_date(created)
            except DateError:
                return parse_customer(values, parse_date, has_attributes)
        return CustomerRow(out, {})

    return parse


def parse_interaction(
    values: Mapping[str, Any], parse_date: Callable[[str], datetime], extra: tuple[str, ...] | None = None
) -> dict[str, Any] | RowError:
    """Validate one interaction row; the result still names its customer by external id.

    ``extra`` lists the payload columns when every row has the same columns (CSV),
    which saves working them out again for each of a million rows.
    """
    # Written for speed: this runs once per row of files with millions of rows.
    get = values.get
    # Cells of a CSV file are strings: strip them inline; anything else (JSON Lines) goes through _cell.
    v = get("external_id")
    external_id = v.strip() if v.__class__ is str else _cell(v)
    v = get("customer_external_id")
    customer = v.strip() if v.__class__ is str else _cell(v)
    v = get("kind")
    kind = v.strip() if v.__class__ is str else _cell(v)
    for column, text in (("external_id", external_id), ("customer_external_id", customer), ("kind", kind)):
        if not text:
            return RowError(column, "is empty; it is required")
        if len(text) > _LIMITS[column]:
            return RowError(column, f"is {len(text)} characters long; at most {_LIMITS[column]} are allowed")
    v = get("occurred_at")
    occurred = v.strip() if v.__class__ is str else _cell(v)
    if not occurred:
        return RowError("occurred_at", "is empty; it is required")
    try:
        occurred_at = parse_date(occurred)
    except DateError as exc:
        return RowError("occurred_at", str(exc))
    v = get("amount")
    amount = v.strip() if v.__class__ is str else _cell(v)
    v = get("currency")
    currency = (v.strip() if v.__class__ is str else _cell(v)).upper()
    amount_minor: int | None = None
    if amount or currency:
        if not currency:
            return RowError("currency", f"is empty but amount is {amount!r}; give the ISO 4217 code, e.g. EUR")
        if not amount:
            return RowError("amount", f"is empty but currency is {currency!r}; give both or neither")
        try:
            exponent(currency)
        except MoneyError as exc:
            return RowError("currency", str(exc))
        try:
            amount_minor = _to_minor(amount, currency)
        except MoneyError as exc:
            return RowError("amount", str(exc))
    v = get("channel")
    channel = v.strip() if v.__class__ is str else _cell(v)
    if len(channel) > _LIMITS["channel"]:
        return RowError("channel", f"is {len(channel)} characters long; at most {_LIMITS['channel']} are allowed")
    if extra is None:
        payload = {k: v for k, v in values.items() if k not in INTERACTION_COLUMNS and v != ""}
    else:
        payload = {k: values[k] for k in extra if values[k] != ""}
    return _interaction(external_id, customer, kind, occurred_at, amount_minor, currency, channel, payload)


def _interaction(
    external_id: str,
    customer: str,
    kind: str,
    occurred_at: datetime,
    amount_minor: int | None,
    currency: str,
    channel: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """A valid interaction row as ``patron.ingest`` takes it (empty currency and channel as None)."""
    return {
        "external_id": external_id,
        "customer_external_id": customer,
        "kind": kind,
        "occurred_at": occurred_at,
        "amount_minor": amount_minor,
        "currency": currency or None,
        "channel": channel or None,
        "payload": payload,
    }


def interaction_parser(
    parse_date: Callable[[str], datetime], extra: tuple[str, ...], iso_dates: bool
) -> Callable[[Mapping[str, Any]], dict[str, Any] | RowError]:
    """``parse_interaction`` for the rows of a CSV file (every cell a string, the payload columns known), faster.

    The common well-formed row takes a short path: no per-cell type checks, the
    ISO date parsed inline, the currency's exponent from a dict, a plain amount
    converted without ``Decimal``. A row the short path is not sure of (an empty
    or long cell, a date with an offset or in another format, an odd amount)
    goes through ``parse_interaction``, which accepts or rejects it with its
    message: both give the same result for every row. ``iso_dates`` says that
    ``parse_date`` is the ISO 8601 parser (no ``--date-format``).
    """
    fromisoformat = datetime.fromisoformat
    exponents = EXPONENTS
    plain_amount = _PLAIN_AMOUNT.match
    powers = _POWERS
    id_limit, kind_limit, channel_limit = _LIMITS["external_id"], _LIMITS["kind"], _LIMITS["channel"]
    assert id_limit == _LIMITS["customer_external_id"]

    def parse(values: Mapping[str, Any]) -> dict[str, Any] | RowError:
        get = values.get
        external_id = values["external_id"].strip()
        customer = values["customer_external_id"].strip()
        kind = values["kind"].strip()
        occurred = values["occurred_at"].strip()
        amount = get("amount", "").strip()
        currency = get("currency", "").strip().upper()
        channel = get("channel", "").strip()
        if (
            not (external_id and customer and kind and occurred)
            or len(external_id) > id_limit
            or len(customer) > id_limit
            or len(kind) > kind_limit
            or len(channel) > channel_limit
        ):
            return parse_interaction(values, parse_date, extra)
        if iso_dates:
            try:
                occurred_at = fromisoformat(occurred)
            except ValueError:
                return parse_interaction(values, parse_date, extra)
            zone = occurred_at.tzinfo
            if zone is None:
                occurred_at = occurred_at.replace(tzinfo=UTC)
            elif zone is not UTC:
                return parse_interaction(values, parse_date, extra)
        else:
            try:
                occurred_at = parse_date(occurred)
            except DateError:
                return parse_interaction(values, parse_date, extra)
        amount_minor: int | None = None
        if amount or currency:
            exp = exponents.get(currency)
            match = plain_amount(amount)
            if exp is None or match is None:
                return parse_interaction(values, parse_date, extra)
            sign, whole, decimals = match.groups()
            if not decimals:
                amount_minor = int(whole) * powers[exp]
            elif len(decimals) <= exp:
                amount_minor = int(whole) * powers[exp] + int(decimals) * powers[exp - len(decimals)]
            else:
                return parse_interaction(values, parse_date, extra)
            if sign == "-":
                amount_minor = -amount_minor
        payload = {k: values[k] for k in extra if values[k] != ""} if extra else {}
        return _interaction(external_id, customer, kind, occurred_at, amount_minor, currency, channel, payload)

    return parse


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


#: A plain amount (sign, at most 14 digits, decimals): converted without Decimal, exactly.
_PLAIN_AMOUNT = re.compile(r"([+-]?)([0-9]{1,14})(?:\.([0-9]*))?\Z")
_POWERS: tuple[int, ...] = tuple(10**n for n in range(19))


def _to_minor(amount: str, currency: str) -> int:
    """``patron.money.to_minor`` with a fast path for plain amounts, the common case of a big file.

    14 integer digits times 10**exponent (at most 4) stays below 2**63; anything
    else (more decimals than the currency has, exponents, odd forms) goes to
    ``to_minor``, which accepts or refuses it with its message.
    """
    exp = exponent(currency)
    match = _PLAIN_AMOUNT.match(amount)
    if match is not None:
        sign, whole, decimals = match.groups()
        if not decimals:
            minor = int(whole) * _POWERS[exp]
            return -minor if sign == "-" else minor
        if len(decimals) <= exp:
            minor = int(whole) * _POWERS[exp] + int(decimals) * _POWERS[exp - len(decimals)]
            return -minor if sign == "-" else minor
    return to_minor(amount, currency)
