"""The CDNOW purchase log → Patron's import CSVs, and a one-call loader for tests.

``CDNOW_master.txt`` (Fader & Hardie's public data set) has one purchase per
line, whitespace-separated: customer id, date ``YYYYMMDD``, number of CDs,
dollar value; a first header line names the columns (the 1/10 sample,
``CDNOW_sample.txt``, has no header and a second id, the customer's number in the
sample, after the first; it is dropped). It has no purchase id, so
one is derived that is stable for the same file: ``<customer>-<date>-<line>``.

``write_cdnow_csv`` writes ``customers.csv`` (external_id, created_at = first
purchase) and ``interactions.csv`` (kind purchase, currency USD, payload ``cds``).
``load_cdnow(app, source)`` converts into a temporary folder and imports both,
which is what plugin tests call to get real purchase histories. Standard library
only (plus the importer for ``load_cdnow``).
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patron.app import App
    from patron.importer.runner import ImportSummary

RELATIVE_SOURCE = Path("shared/data/CDNOW_master.txt")


def find_source(start: Path | None = None) -> Path:
    """Where the data set is: ``$PATRON_CDNOW``, else ``shared/data/`` beside the checkout.

    The workspace keeps ``shared/`` next to the repository, so look in the
    working directory and each of its parents; the first candidate is returned
    (existing or not) so a message can name where it was expected.
    """
    import os

    if os.environ.get("PATRON_CDNOW"):
        return Path(os.environ["PATRON_CDNOW"])
    here = (start or Path.cwd()).resolve()
    candidates = [folder / RELATIVE_SOURCE for folder in (here, *here.parents)]
    return next((c for c in candidates if c.is_file()), here.parent / RELATIVE_SOURCE)


#: The data set found from the working directory (see ``find_source``).
DEFAULT_SOURCE = find_source()
CUSTOMERS = 23_570
PURCHASES = 69_659


def _iso_day(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:8]}"


def write_cdnow_csv(source: str | Path, out_dir: str | Path, *, limit: int | None = None) -> tuple[Path, Path]:
    """Convert ``source`` into ``out_dir/customers.csv`` and ``out_dir/interactions.csv``.

    ``limit`` keeps only the first ``limit`` purchase lines (and their customers),
    for quick tests. Returns the two paths. Raises ``ValueError`` naming the line
    of a malformed record.
    """
    source, out = Path(source), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    customers_path, interactions_path = out / "customers.csv", out / "interactions.csv"
    first_purchase: dict[str, str] = {}
    with source.open(encoding="ascii") as src, interactions_path.open("w", newline="", encoding="utf-8") as dst:
        writer = csv.writer(dst)
        writer.writerow(["external_id", "customer_external_id", "kind", "occurred_at", "amount", "currency", "cds"])
        written = 0
        for line_no, line in enumerate(src, start=1):
            fields = line.split()
            if not fields or (line_no == 1 and not fields[0].isdigit()):
                continue  # the header line, or a blank one
            if len(fields) == 5 and fields[1].isdigit():
                fields = [fields[0], *fields[2:]]  # the 1/10 sample: master id, sample id, date, cds, dollars
            if len(fields) != 4 or not (fields[0].isdigit() and fields[1].isdigit() and len(fields[1]) == 8):
                raise ValueError(
                    f"{source}: line {line_no}: expected 'customer_id YYYYMMDD cds dollars' "
                    f"(or the sample's 'customer_id sample_id YYYYMMDD cds dollars'), got {line.strip()!r}"
                )
            if limit is not None and written >= limit:
                break
            customer, day, cds, dollars = fields
            customer = str(int(customer))  # '00001' and '1' are the same customer
            date = _iso_day(day)
            writer.writerow([f"{customer}-{day}-{line_no}", customer, "purchase", date, dollars, "USD", cds])
            written += 1
            if customer not in first_purchase or date < first_purchase[customer]:
                first_purchase[customer] = date
    with customers_path.open("w", newline="", encoding="utf-8") as dst:
        writer = csv.writer(dst)
        writer.writerow(["external_id", "created_at"])
        by_number: list[tuple[str, str]] = sorted(first_purchase.items(), key=lambda item: int(item[0]))
        writer.writerows(by_number)
    return customers_path, interactions_path


def load_cdnow(
    app: App, source: str | Path = DEFAULT_SOURCE, *, limit: int | None = None, batch_size: int = 5000
) -> tuple[ImportSummary, ImportSummary]:
    """Convert and import CDNOW into ``app``'s database; return the two import summaries."""
    from patron.importer.runner import ImportOptions, run_import

    with tempfile.TemporaryDirectory(prefix="patron-cdnow-") as folder:
        customers, interactions = write_cdnow_csv(source, folder, limit=limit)
        first = run_import(app, ImportOptions("customers", customers, batch_size=batch_size))
        second = run_import(app, ImportOptions("interactions", interactions, batch_size=batch_size))
    return first, second
