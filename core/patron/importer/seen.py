"""The set of external ids already imported from the current file, kept on disk.

Duplicate ids inside one file must be caught across batches, but holding every
id of a 5-million-row file in memory would make memory grow with the file. A
scratch SQLite database in a temporary directory holds them instead (with the
line of their first occurrence, for the message); SQLite's page cache keeps
memory bounded whatever the file size.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path


class SeenIds:
    """External ids seen so far, each with the line where it first appeared."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="patron-import-"))
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
                "SELECT id, line FROM seen WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
            )
        )

    def add(self, pairs: Iterable[tuple[str, int]]) -> None:
        """Remember ``(id, line)`` pairs; an id already present keeps its first line."""
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO seen (id, line) VALUES (?, ?)", pairs)
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Delete the scratch database."""
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)
