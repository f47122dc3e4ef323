#!/usr/bin/env python3
"""Convert the CDNOW purchase log into the two CSV files ``patron import`` reads.

Usage::

    python tools/cdnow_to_csv.py [SOURCE] [OUT_DIR]
    patron import customers OUT_DIR/customers.csv
    patron import interactions OUT_DIR/interactions.csv

SOURCE defaults to shared/data/CDNOW_master.txt beside the checkout (or $PATRON_CDNOW), OUT_DIR to ./cdnow.
The input is whitespace-separated (customer id, date YYYYMMDD, number of CDs,
dollar value). Each purchase gets the stable id ``<customer>-<date>-<line>``
(the file has none); customers get their first purchase date as ``created_at``.
The conversion is standard library only; the logic lives in
``patron.importer.cdnow`` so tests can call it (``load_cdnow(app)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))  # run from a plain checkout too

from patron.importer.cdnow import DEFAULT_SOURCE, write_cdnow_csv


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    out_dir = Path(argv[1]) if len(argv) > 1 else Path("cdnow")
    customers, interactions = write_cdnow_csv(source, out_dir)
    print(f"wrote {customers} and {interactions}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
