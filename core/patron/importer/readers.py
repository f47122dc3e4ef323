"""Streaming readers for CSV and JSON Lines: one row at a time, never the whole file.

A reader yields ``SourceRow``\\s carrying the line number where the row starts,
its values keyed by (mapped) column name and the original cells, so a rejected
row can be written back out exactly as it came in. Bytes are decoded line by line
so that a decoding error can name the line and the byte offset.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from patron.errors import InputError

Format = Literal["csv", "jsonl"]

# Fields of real exports can be long (notes, JSON blobs); the csv default of 128 KiB is too small.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One input row: where it starts, its values by column, and its original form."""

    line: int
    values: dict[str, Any]
    original: list[str]
    #: Set when the row cannot even be split into columns (wrong cell count, bad JSON).
    problem: str | None = None


def detect_format(path: Path, given: str | None) -> Format:
    """``given`` when set, else JSON Lines for ``.jsonl``/``.ndjson`` files and CSV otherwise."""
    if given:
        if given not in ("csv", "jsonl"):
            raise InputError(f"--input-format {given!r} is not supported: use csv or jsonl")
        return given  # type: ignore[return-value]
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


def parse_mapping(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Parse ``--map src=dst`` options into ``{src: dst}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        src, dst = src.strip(), dst.strip()
        if not sep or not src or not dst:
            raise InputError(
                f"--map {pair!r} is not of the form SOURCE_COLUMN=PATRON_COLUMN (e.g. --map cust_no=external_id)"
            )
        if src in mapping:
            raise InputError(f"--map names column {src!r} twice")
        mapping[src] = dst
    return mapping


class Reader:
    """Iterate the rows of one file; ``columns`` is known after the header (CSV) is read."""

    def __init__(self, path: Path, fmt: Format, mapping: Mapping[str, str], encoding: str = "utf-8") -> None:
        self.path = path
        self.format = fmt
        self.mapping = dict(mapping)
        self.encoding = encoding
        self.size = path.stat().st_size
        #: Bytes consumed so far (for progress bars).
        self.bytes_read = 0
        #: Original header cells (CSV) — None for JSON Lines, whose rows name their own keys.
        self.header: list[str] | None = None
        #: Column names after ``--map``.
        self.columns: list[str] | None = None

    # -- decoding ------------------------------------------------------------

    def _lines(self, stream: IO[bytes]) -> Iterator[str]:
        is_utf8 = self.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        for number, raw in enumerate(stream, start=1):
            start = self.bytes_read
            self.bytes_read += len(raw)
            if number == 1 and is_utf8 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark written by spreadsheet programs is not data
                start += 3
            try:
                yield raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self.path}: line {number} (byte offset {start + exc.start}) is not valid {self.encoding}: "
                    f"{exc.reason} (byte {raw[exc.start : exc.start + 1]!r}); if the file uses another encoding, "
                    "pass it with --encoding (e.g. --encoding latin-1 or --encoding cp1252)"
                ) from None
            except LookupError:
                raise InputError(f"--encoding {self.encoding!r} is not an encoding Python knows") from None

    # -- rows ------------------------------------------------------------------

    def rows(self) -> Iterator[SourceRow]:
        """Yield every data row; raise ``InputError`` for an empty or header-only file."""
        with self.path.open("rb") as stream:
            if self.format == "csv":
                yield from self._csv_rows(stream)
            else:
                yield from self._jsonl_rows(stream)

    def _csv_rows(self, stream: IO[bytes]) -> Iterator[SourceRow]:
        reader = csv.reader(self._lines(stream))
        try:
            header = next(reader)
            while not header:  # blank lines before the header
                header = next(reader)
        except StopIteration:
            raise InputError(
                f"{self.path} is empty: expected a header line naming the columns, then one row per line"
            ) from None
        except csv.Error as exc:
            raise InputError(f"{self.path}: line {reader.line_num}: the header is not valid CSV: {exc}") from None
        self.header = [cell.strip() for cell in header]
        self.columns = self._map_header(self.header)
        width = len(self.columns)
        columns = self.columns
        any_row = False
        previous_line = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # The csv module cannot resynchronise after a broken quote; stop with a clear message.
                raise InputError(
                    f"{self.path}: line {reader.line_num}: not valid CSV ({exc}); fix the quoting of that row"
                ) from None
            line = previous_line + 1
            previous_line = reader.line_num
            if not cells:
                continue
            any_row = True
            if len(cells) != width:
                yield SourceRow(line, {}, cells, f"the row has {len(cells)} cells but the header has {width}")
                continue
            yield SourceRow(line, dict(zip(columns, cells, strict=True)), cells)
        if not any_row:
            raise InputError(f"{self.path} has a header but no rows: nothing to import")

    def _map_header(self, header: list[str]) -> list[str]:
        if any(not name for name in header):
            position = next(i for i, name in enumerate(header, 1) if not name)
            raise InputError(f"{self.path}: line 1: column {position} of the header has no name; name every column")
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise InputError(f"{self.path}: line 1: the header names column {name!r} twice; rename one of them")
            seen.add(name)
        unknown = [src for src in self.mapping if src not in seen]
        if unknown:
            raise InputError(
                f"--map {unknown[0]}=…: there is no column {unknown[0]!r} in {self.path} "
                f"(its columns: {', '.join(header)})"
            )
        mapped = [self.mapping.get(name, name) for name in header]
        dupes = sorted({name for name in mapped if mapped.count(name) > 1})
        if dupes:
            raise InputError(
                f"after --map, two columns of {self.path} are both called {dupes[0]!r}; map only one of them"
            )
        return mapped

    def _jsonl_rows(self, stream: IO[bytes]) -> Iterator[SourceRow]:
        any_line = False
        mapping = self.mapping
        for number, text in enumerate(self._lines(stream), start=1):
            if not text.strip():
                continue
            any_line = True
            original = [text.rstrip("\r\n")]
            try:
                obj = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                yield SourceRow(number, {}, original, f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(obj, dict):
                yield SourceRow(number, {}, original, f"expected a JSON object, got {type(obj).__name__}")
                continue
            values = (
                {mapping.get(k, k): _plain(v) for k, v in obj.items()}
                if mapping
                else {k: _plain(v) for k, v in obj.items()}
            )
            yield SourceRow(number, values, original)
        if not any_line:
            raise InputError(f"{self.path} is empty: expected one JSON object per line")


def _plain(value: Any) -> Any:
    """JSON values as the row parser expects them: numbers as exact strings, None as empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        return {k: _nested(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nested(v) for v in value]
    return value


def _nested(value: Any) -> Any:
    # Inside a nested document keep JSON's own types; only exact decimals need a storable form.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _nested(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nested(v) for v in value]
    return value
