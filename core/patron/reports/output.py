"""Where rendered documents go: stdout, one file, or one CSV file per table in a directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from patron.errors import InputError

#: File name extension of each format (a folder given with ``-o DIR/`` gets ``NAME.EXT``).
EXTENSIONS = {"html": "html", "md": "md", "csv": "csv", "json": "json", "text": "txt"}


def is_folder(output: str) -> bool:
    """``-o`` names a folder: it ends with a path separator or is an existing directory."""
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def write_outputs(name: str, fmt: str, docs: Mapping[str, str], output: str | None) -> list[Path] | None:
    """Write ``docs`` (``{table or "": text}``) to ``output``; None means "print to stdout".

    ``-o DIR/`` (a trailing slash, or an existing directory) always means a folder: it is
    created if missing and gets ``NAME.EXT`` (CSV: ``NAME-TABLE.csv`` for each table).
    CSV with several tables needs a folder; any other path is the file to write.
    """
    several = len(docs) > 1
    if output is None:
        if several:
            raise InputError(
                f'report "{name}" has {len(docs)} tables ({", ".join(docs)}); CSV holds one table per file, '
                f"so give -o DIR/ to write {name}-TABLE.csv files into DIR"
            )
        return None
    target = Path(output)
    if is_folder(output) or (fmt == "csv" and several):
        if target.exists() and not target.is_dir():
            raise InputError(f'-o {output}: is a file, but report "{name}" has several tables; give a directory')
        target.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            return [_write(target / f"{name}-{table}.csv", text) for table, text in docs.items()]
        return [_write(target / f"{name}.{EXTENSIONS.get(fmt, fmt)}", next(iter(docs.values())))]
    return [_write(target, next(iter(docs.values())))]


def _write(path: Path, text: str) -> Path:
    # Write beside the target and rename, so a failed run never leaves a half-written report.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
