"""Where rendered documents go: stdout, one file, or one CSV file per table in a directory.

``write_file`` is the one way a command writes a file named by ``-o``:

- a regular file (new or existing, or a symlink to one) is written atomically:
  a temporary file beside the target, then a rename, so a failed run never
  leaves half a report; a new file gets the mode the umask allows, an
  existing one keeps its mode;
- anything else that exists (a FIFO, ``/dev/null``, a terminal) is written
  straight into, never replaced: ``-o /dev/null`` must leave the device a device;
- a missing parent folder is an error, never created silently;
- any failure is one line naming the path and the reason, never a traceback.
"""

from __future__ import annotations

import os
import stat
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
    # "out/" (or an existing directory) always names a folder, even before it exists.
    if is_folder(output) or (fmt == "csv" and several):
        if target.exists() and not target.is_dir():
            raise InputError(f'-o {output}: is a file, but report "{name}" has several tables; give a directory')
        if not target.exists():
            # The folder named by -o itself may be made; its parents must exist.
            _check_parent(target, output)
            try:
                target.mkdir()
            except OSError as exc:
                raise InputError(f"-o {output}: cannot create the folder: {exc.strerror or exc}") from exc
        if fmt == "csv":
            return [write_file(target / f"{name}-{table}.csv", text) for table, text in docs.items()]
        return [write_file(target / f"{name}.{EXTENSIONS.get(fmt, fmt)}", next(iter(docs.values())))]
    return [write_file(target, next(iter(docs.values())), shown=output)]


def write_file(path: Path, text: str, *, shown: str | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` as described in the module docstring; return ``path``."""
    shown = shown or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"-o {shown}: cannot write there: {exc.strerror or exc}") from exc
    data = text.encode("utf-8")
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            _write_through(path, data)
        else:
            real = Path(os.path.realpath(path))
            _check_parent(real, shown)
            _write_atomic(real, data, None if info is None else stat.S_IMODE(info.st_mode))
    except OSError as exc:
        # /proc files, full disks, read-only folders, permissions: one line, not a traceback.
        raise InputError(f"-o {shown}: cannot write there: {exc.strerror or exc}") from exc
    return path


def _check_parent(path: Path, shown: str) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"-o {shown}: folder {parent} does not exist; create it first (nothing was written)")


def _write_through(path: Path, data: bytes) -> None:
    # A FIFO, a device or a terminal: open it as it is (no create, no truncate of a device) and write.
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes, mode: int | None) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes 0600 files; a report gets the mode a new file would get (the umask's), or keeps its own.
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    # Reading the umask means setting it; a CLI process is single-threaded here.
    current = os.umask(0o022)
    os.umask(current)
    return current
