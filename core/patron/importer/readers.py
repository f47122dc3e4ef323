"""Streaming readers for CSV and JSON Lines: one row at a time, never the whole file.

A reader yields ``SourceRow``\\s carrying the line number where the row starts,
its values keyed by (mapped) column name and the original cells, so a rejected
row can be written back out exactly as it came in. The file is read in blocks,
each line of which is decoded on its own, so that a decoding error can name the
line and the byte offset.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, repeat
from pathlib import Path
from typing import IO, Any, Literal, cast

from patron.errors import InputError

Format = Literal["csv", "jsonl"]

# Fields of real exports can be long (notes, JSON blobs); the csv default of 128 KiB is too small.
csv.field_size_limit(16 * 1024 * 1024)
#: Bytes read at a time: the csv module then pulls lines from lists, without a Python call per line.
_BLOCK = 64 * 1024


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


def parse_constants(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``--set COLUMN=VALUE`` options → ``{column: value}`` (a value may contain ``=``; it may be empty)."""
    constants: dict[str, str] = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        column = column.strip()
        if not sep or not column:
            raise InputError(f"--set {pair!r}: expected COLUMN=VALUE, e.g. --set currency=USD")
        if column in constants:
            raise InputError(f"--set {column}=…: given twice; give each column once")
        constants[column] = value
    return constants


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

    def __init__(
        self,
        path: Path,
        fmt: Format,
        mapping: Mapping[str, str],
        encoding: str = "utf-8",
        constants: Mapping[str, str] | None = None,
        scalars: Collection[str] = (),
        scalar_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        #: Columns that hold one value: a JSON object or list there is refused, never stored as its repr.
        self.scalars = frozenset(scalars)
        self.scalar_prefixes = scalar_prefixes
        self.format = fmt
        self.mapping = dict(mapping)
        #: ``--set COLUMN=VALUE``: columns every row gets, which the file must not have itself.
        self.constants = dict(constants or {})
        self.encoding = encoding
        self.size = path.stat().st_size
        #: Bytes consumed so far (for progress bars).
        self.bytes_read = 0
        #: Original header cells (CSV) — None for JSON Lines, whose rows name their own keys.
        self.header: list[str] | None = None
        #: Column names after ``--map``.
        self.columns: list[str] | None = None
        #: Set once a decoded block holds a NUL character: only then are rows checked cell by cell.
        self.nul_seen = False

    # -- decoding ------------------------------------------------------------

    def _blocks(self, stream: IO[bytes]) -> Iterator[list[str]]:
        """The decoded lines, a block (about 64 KiB) at a time.

        Lines are split on ``\\n`` only, as iterating a binary file does, and
        each is decoded on its own, so a decoding error names its line and byte
        offset; the lines before it in the block are handed out first, so the
        error surfaces at the same row as if the file were read line by line.
        """
        encoding = self.encoding
        is_utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        number = 1  # of the block's first line
        while block := stream.read(_BLOCK):
            if not block.endswith(b"\n"):
                block += stream.readline()  # finish the block's last line
            start = self.bytes_read
            self.bytes_read += len(block)
            if number == 1 and is_utf8 and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]  # a byte-order mark written by spreadsheet programs is not data
                start += 3
            raws = io.BytesIO(block).readlines()
            try:
                lines = list(map(bytes.decode, raws, repeat(encoding)))
            except UnicodeDecodeError:
                yield from self._decode_until_error(raws, number, start)
                raise AssertionError("unreachable: _decode_until_error raises") from None
            except LookupError:
                raise InputError(f"--encoding {encoding!r} is not an encoding Python knows") from None
            if not self.nul_seen and "\x00" in "".join(lines):
                self.nul_seen = True
            number += len(lines)
            yield lines

    def _decode_until_error(self, raws: list[bytes], number: int, start: int) -> Iterator[list[str]]:
        """Hand out the lines before the first undecodable one, then raise ``InputError`` naming it."""
        good: list[str] = []
        for raw in raws:
            try:
                good.append(raw.decode(self.encoding))
            except UnicodeDecodeError as exc:
                if good:
                    self.nul_seen = self.nul_seen or "\x00" in "".join(good)
                    yield good
                raise InputError(
                    f"{self.path}: line {number} (byte offset {start + exc.start}) is not valid {self.encoding}: "
                    f"{exc.reason} (byte {raw[exc.start : exc.start + 1]!r}); if the file uses another encoding, "
                    "pass it with --encoding (e.g. --encoding latin-1 or --encoding cp1252)"
                ) from None
            number += 1
            start += len(raw)

    # -- rows ------------------------------------------------------------------

    def rows(self) -> Iterator[SourceRow]:
        """Yield every data row; raise ``InputError`` for an empty or header-only file."""
        with self.path.open("rb") as stream:
            if self.format == "csv":
                yield from self._csv_rows(stream)
            else:
                yield from self._jsonl_rows(stream)

    def _csv_rows(self, stream: IO[bytes]) -> Iterator[SourceRow]:
        window = _Window(self._blocks(stream))
        reader = csv.reader(window.lines)
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
        columns = self._map_header(self.header)
        width = len(columns)
        constants = self.constants
        clash = next((name for name in constants if name in columns), None)
        if clash is not None:
            raise InputError(
                f"--set {clash}=…: {self.path} already has a column {clash!r}; drop the --set, "
                "or --map the file's column to another name"
            )
        self.columns = [*columns, *constants]
        any_row = False
        base = 0  # lines read by the csv readers before ``reader`` (one is started afresh after a bad record)
        end = reader.line_num  # the last line of the last record read
        while True:
            try:
                for cells in reader:
                    line = end + 1
                    end = base + reader.line_num
                    window.keep_from = end + 1
                    if not cells:
                        continue
                    any_row = True
                    if len(cells) != width:
                        first = window.text(line, line)[0]
                        if end > line and first.count('"') % 2 == 1:
                            # A quote opened on this line swallowed the lines after it: reject this line only and
                            # read the following lines again as rows of their own.
                            yield SourceRow(
                                line,
                                {},
                                [first.rstrip("\r\n")],
                                "a quote opens on this line and is not closed on it (fix the quoting of this row); "
                                "the lines after it were read again as rows of their own",
                            )
                            swallowed = window.text(line + 1, end)
                            base = end = line
                            window.keep_from = line + 1
                            reader = csv.reader(chain(swallowed, window.lines))
                            break
                        yield SourceRow(line, {}, cells, f"the row has {len(cells)} cells but the header has {width}")
                        continue
                    if self.nul_seen and any("\x00" in cell for cell in cells):
                        yield SourceRow(line, {}, cells, NUL_PROBLEM)
                        continue
                    values = dict(zip(columns, cells, strict=True))
                    yield SourceRow(line, {**values, **constants} if constants else values, cells)
                else:
                    break  # the end of the file
            except csv.Error as exc:
                # One bad record (e.g. a field over the size limit) is one rejected row; the next line starts afresh.
                any_row = True
                line = end + 1
                base = end = base + reader.line_num
                window.keep_from = end + 1
                yield SourceRow(line, {}, ["".join(window.text(line, end)).rstrip("\r\n")], f"not valid CSV ({exc})")
                reader = csv.reader(window.lines)
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
        for number, text in enumerate(chain.from_iterable(self._blocks(stream)), start=1):
            if not text.strip():
                continue
            any_line = True
            original = [text.rstrip("\r\n")]
            try:
                obj = json.loads(text, parse_float=Decimal, parse_int=_exact_int)
            except json.JSONDecodeError as exc:
                yield SourceRow(number, {}, original, f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            except RecursionError:
                yield SourceRow(number, {}, original, f"nested more than {MAX_DEPTH} levels deep")
                continue
            except ValueError as exc:
                # E.g. a number Python refuses to convert; the row, not the import, is wrong.
                yield SourceRow(number, {}, original, f"not valid JSON: {exc}")
                continue
            if not isinstance(obj, dict):
                yield SourceRow(number, {}, original, f"expected a JSON object, got {type(obj).__name__}")
                continue
            problem = _problem(obj, self.scalars, self.scalar_prefixes, mapping)
            if problem is not None:
                yield SourceRow(number, {}, original, problem)
                continue
            values = (
                {mapping.get(k, k): _plain(v) for k, v in obj.items()}
                if mapping
                else {k: _plain(v) for k, v in obj.items()}
            )
            clash = next((name for name in self.constants if name in values), None)
            if clash is not None:
                yield SourceRow(number, {}, original, f"has its own {clash!r}, which --set {clash}=… would replace")
                continue
            yield SourceRow(number, {**cast("dict[str, Any]", values), **self.constants}, original)
        if not any_line:
            raise InputError(f"{self.path} is empty: expected one JSON object per line")


#: How deep a JSON Lines row may nest (payloads are small documents, not trees).
MAX_DEPTH = 64
#: Longest integer kept as a JSON number inside a payload; longer ones are kept as exact text.
_INT_DIGITS = 4000
NUL_PROBLEM = "contains a NUL character (\\x00 or \\u0000), which the database cannot store; remove it"


def _exact_int(text: str) -> int | Decimal:
    # Python refuses int() of more than 4,300 digits; such a number is kept exact as a Decimal (then text).
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def _problem(
    obj: dict[str, Any], scalars: frozenset[str], prefixes: tuple[str, ...], mapping: Mapping[str, str]
) -> str | None:
    """Why a parsed JSON object cannot be a row, or None: depth, NUL characters, objects in scalar columns."""
    for key, value in obj.items():
        if isinstance(value, dict | list):
            column = mapping.get(key, key)
            if column in scalars or (prefixes and column.startswith(prefixes)):
                kind = "an object" if isinstance(value, dict) else "a list"
                return f"column {column!r} holds {kind}; it takes a single value (text or a number)"
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return NUL_PROBLEM
        elif isinstance(value, dict):
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            stack.extend((v, depth + 1) for v in value)
    return None


class _Window:
    """The decoded lines fed to ``csv.reader``, keeping those of the current record.

    The reader pulls lines from a chain of lists (no Python call per line); the
    window keeps the blocks back to the first line of the record being read,
    ``keep_from``, so that a rejected record can be written out as it came in
    and the lines swallowed by a quote that never closes can be read again.
    """

    def __init__(self, blocks: Iterator[list[str]]) -> None:
        self._blocks = blocks
        #: ``(number of the block's first line, its lines)``, oldest first.
        self._kept: list[tuple[int, list[str]]] = []
        self._next = 1
        #: The first line of the record being read; blocks wholly before it are let go.
        self.keep_from = 1
        self.lines: Iterator[str] = chain.from_iterable(self._feed())

    def _feed(self) -> Iterator[list[str]]:
        for block in self._blocks:
            kept = self._kept
            while kept and kept[0][0] + len(kept[0][1]) <= self.keep_from:
                kept.pop(0)
            kept.append((self._next, block))
            self._next += len(block)
            yield block

    def text(self, first: int, last: int) -> list[str]:
        """Lines ``first`` to ``last`` (inclusive) as they were read."""
        out: list[str] = []
        for start, block in self._kept:
            lo, hi = max(first - start, 0), min(last - start + 1, len(block))
            if lo < hi:
                out.extend(block[lo:hi])
        return out


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
