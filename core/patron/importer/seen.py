"""The set of external ids already imported from the current file, kept on disk.

Duplicate ids inside one file must be caught across batches, but holding every
id of a 5-million-row file in memory would make memory grow with the file. A
scratch SQLite database in a temporary directory holds them instead (with the
line of their first occurrence, for the message); SQLite's page cache keeps
memory bounded whatever the file size.

The scratch folder (``.patron-import-<pid>-<random>``, mode 0700) lives beside
the database (a SQLite file's folder, else the config file's), not in a
world-shared temporary folder: it holds external ids, which may be personal.
A run killed before it could clean up leaves it behind; the next import in the
same place deletes every such folder whose process is gone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 900  # under SQLite's smallest historical limit on bound parameters
PREFIX = ".patron-import-"
_NAME = re.compile(re.escape(PREFIX) + r"(\d+)-")


def clean_stale(folder: Path) -> list[Path]:
    """Delete scratch folders in ``folder`` left by imports whose process no longer runs."""
    removed = []
    for path in folder.glob(PREFIX + "*"):
        match = _NAME.match(path.name)
        if match and path.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # Another user's live process.
        return True
    return True


class SeenIds:
    """External ids seen so far, each with the line where it first appeared."""

    def __init__(self, folder: Path | None = None) -> None:
        self._dir = _scratch_dir(folder)
        self._db = sqlite3.connect(self._dir / "seen.db", isolation_level=None)
        # Scratch data: durability would only cost time; the file is deleted at the end anyway.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("PRAGMA cache_size = -8000")  # ~8 MB of page cache, whatever the file size
        self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")

    def lines_of(self, ids: list[str]) -> dict[str, int]:
        """The first-occurrence line of each of ``ids`` seen before (absent ones are left out)."""
        if not ids:
            return {}
        # One query per batch: the ids travel as one JSON array, not as thousands of bound parameters.
        return dict(
            self._db.execute(
                "SELECT id, line FROM seen WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids, ensure_ascii=False),),
            )
        )

    def claim(self, pairs: list[tuple[str, int]]) -> dict[str, int] | None:
        """Remember one batch's ``(id, line)`` pairs, in file order; say which ids were seen before.

        Returns None in the usual batch, where every id is new and none repeats
        (one statement: the insert's row count says so); else the ids seen in
        earlier batches with their first line (the caller finds repeats within
        the batch itself). An id already present keeps its first line, and so
        does one repeated within the batch.
        """
        if not pairs:
            return None
        first_lines = dict(reversed(pairs))  # a repeated id: its first line is the one assigned last
        self._db.execute("BEGIN")
        inserted = self._db.execute(
            "INSERT OR IGNORE INTO seen (id, line) SELECT key, value FROM json_each(?)",
            (json.dumps(first_lines, ensure_ascii=False),),
        ).rowcount
        self._db.execute("COMMIT")
        if inserted == len(pairs):
            return None
        first = pairs[0][1]  # lines grow through the file: earlier batches have smaller ones
        return {i: line for i, line in self.lines_of(list(first_lines)).items() if line < first}

    def release(self, pairs: Iterable[tuple[str, int]]) -> None:
        """Forget ``(id, line)`` pairs claimed by rows then rejected: a later row with such an id is no repeat."""
        self._db.execute("BEGIN")
        self._db.executemany("DELETE FROM seen WHERE id = ? AND line = ?", pairs)
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Delete the scratch database."""
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def _scratch_dir(folder: Path | None) -> Path:
    if folder is not None:
        try:
            clean_stale(folder)
            return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=folder))
        except OSError:
            # A read-only database folder: fall back to a private (0700) temporary folder.
            pass
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
