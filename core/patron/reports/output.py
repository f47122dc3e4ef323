"""Where rendered documents go: stdout, one file, or one CSV file per table in a directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from patron.errors import InputError


def write_outputs(name: str, fmt: str, docs: Mapping[str, str], output: str | None) -> list[Path] | None:
    """Write ``docs`` (``{table or "": text}``) to ``output``; None means "print to stdout".

    CSV with several tables needs a directory and writes ``NAME-TABLE.csv`` files;
    with one table, an existing directory gets ``NAME-TABLE.csv`` and any other path is the file.
    """
    several = len(docs) > 1
    if output is None:
        if several:
            raise InputError(
                f'report "{name}" has {len(docs)} tables ({", ".join(docs)}); CSV holds one table per file, '
                f"so give -o DIR to write {name}-TABLE.csv files into DIR"
            )
        return None
    target = Path(output)
    # "out/" names a directory even before it exists (Path() would drop the slash).
    if fmt == "csv" and (several or target.is_dir() or output.endswith(("/", os.sep))):
        if target.exists() and not target.is_dir():
            raise InputError(f'-o {output}: is a file, but report "{name}" has several tables; give a directory')
        target.mkdir(parents=True, exist_ok=True)
        return [_write(target / f"{name}-{table}.csv", text) for table, text in docs.items()]
    if target.is_dir():
        raise InputError(f"-o {output}: is a directory; give a file name such as {target / (name + '.' + fmt)}")
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
