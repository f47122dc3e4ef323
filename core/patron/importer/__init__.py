"""Streaming, idempotent import of customers and interactions from CSV and JSON Lines.

Modules, one job each:

- ``readers``: stream rows from CSV / JSON Lines, decode line by line, ``--map`` renames;
- ``dates`` and ``money``: ISO 8601 (or ``--date-format``) dates; decimal amounts to
  integer minor units, exactly;
- ``rows``: validate one row into what ``patron.ingest`` writes, or a reason;
- ``seen``: the external ids already met in this file (duplicates), on disk;
- ``runner``: batches, one transaction each (retried when busy), counts, rejects file;
- ``cdnow``: convert and load the public CDNOW purchase log (tests, demos, benches).

``run_import(app, ImportOptions(...))`` is the entry point; ``patron import``
is its command line. See docs/importing.md for the column reference.
"""

from __future__ import annotations

from patron.importer.runner import EXIT_REJECTED, ImportOptions, ImportSummary, run_import

__all__ = ["EXIT_REJECTED", "ImportOptions", "ImportSummary", "run_import"]
