"""``patron demo``: a deterministic synthetic customer base, loaded and reported on.

- ``names``: the word lists (no external data package);
- ``generate``: the seeded generator of customers, interactions and consent;
- ``build``: the whole job — fresh SQLite database, load through ``patron.ingest``,
  plugin preparation, every report rendered, an index page.
"""
