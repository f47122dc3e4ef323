"""Typed report parameters: ``--param name=value`` strings → validated Python values.

Every error lists the report's valid parameters with their types and defaults,
so a user can fix the command line without reading the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from patron.contracts import Report, ReportParam
from patron.errors import InputError

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "n", "f"})
INTEGER = re.compile(r"[+-]?[0-9]+")


def type_name(param: ReportParam) -> str:
    """``int``, ``float``, ``str``, ``bool`` or ``date``: how parameter types are shown."""
    return "date" if param.type is date else param.type.__name__


def format_value(value: Any) -> str:
    """A parameter value as a user would type it (dates in ISO 8601, None as 'none')."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def describe_params(report: Report) -> str:
    """One line per parameter: ``name (type, default: x; one of a|b) — help``."""
    if not report.params:
        return f'report "{report.name}" takes no parameters'
    lines = [f'valid parameters of report "{report.name}":']
    for p in report.params:
        extra = f"; one of {'|'.join(format_value(c) for c in p.choices)}" if p.choices else ""
        help_text = f" — {p.help}" if p.help else ""
        lines.append(f"  {p.name} ({type_name(p)}, default: {format_value(p.default)}{extra}){help_text}")
    return "\n".join(lines)


def convert(param: ReportParam, raw: str) -> Any:
    """Convert one raw string to ``param``'s type; raise ValueError with a short reason."""
    text = raw.strip()
    if param.default is None and text.lower() in ("", "none"):
        return None  # an optional parameter given as printed in a footer ("as_of=none"): its default
    if param.type is bool:
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError("expected a boolean (true/false, yes/no, 1/0)")
    if param.type is int:
        # Stricter than int(): no '1_000', no non-ASCII digits, which a user did not mean as numbers.
        if not INTEGER.fullmatch(text):
            raise ValueError("expected a whole number such as 12")
        return int(text)
    if param.type is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("expected a number such as 0.5") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return value
    if param.type is date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError("expected a date as YYYY-MM-DD") from None
    return raw


def parse_params(report: Report, assignments: Iterable[str]) -> dict[str, Any]:
    """Return every declared parameter of ``report``: given values converted, others defaulted.

    :param assignments: ``name=value`` strings as given to ``--param``.
    :raises InputError: unknown name, repeated name, missing ``=``, bad value or
        a value outside ``choices``; the message lists the valid parameters.
    """
    declared = {p.name: p for p in report.params}
    given: dict[str, str] = {}
    for item in assignments:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--param {item!r} is not name=value\n{describe_params(report)}")
        if name not in declared:
            raise InputError(
                f'--param {name}: report "{report.name}" has no parameter "{name}"\n{describe_params(report)}'
            )
        if name in given:
            raise InputError(f"--param {name} is given twice; give it once\n{describe_params(report)}")
        given[name] = raw
    return validate_values(report, {n: _convert_or_fail(report, declared[n], raw) for n, raw in given.items()})


def validate_values(report: Report, values: Mapping[str, Any]) -> dict[str, Any]:
    """Fill defaults for missing parameters and check ``choices``; values are already typed."""
    resolved: dict[str, Any] = {}
    for p in report.params:
        value = values.get(p.name, p.default)
        if p.choices is not None and value is not None and value not in p.choices:
            choices = "|".join(format_value(c) for c in p.choices)
            raise InputError(
                f"--param {p.name}={format_value(value)}: must be one of {choices}\n{describe_params(report)}"
            )
        resolved[p.name] = value
    unknown = sorted(set(values) - set(resolved))
    if unknown:
        raise InputError(f"unknown parameter(s) {', '.join(unknown)}\n{describe_params(report)}")
    return resolved


def _convert_or_fail(report: Report, param: ReportParam, raw: str) -> Any:
    try:
        return convert(param, raw)
    except ValueError as exc:
        raise InputError(f"--param {param.name}={raw!r}: {exc}\n{describe_params(report)}") from None


def params_as_json(params: Sequence[ReportParam]) -> list[dict[str, Any]]:
    """Parameter declarations as plain data (for ``patron report list --json``)."""
    return [
        {
            "name": p.name,
            "type": type_name(p),
            "default": _plain(p.default),
            "help": p.help,
            "choices": None if p.choices is None else [_plain(c) for c in p.choices],
        }
        for p in params
    ]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
