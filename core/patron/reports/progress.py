"""A status line on a terminal while a report runs: its name, the queries done so far and the seconds spent.

A report is a handful of set-based queries whose count is not known in advance,
so this is not a percentage: it says the report is working and how far it got
(``Running report overview: 6 queries, 4.1 s``). It appears only when the
stream is a terminal and the report takes longer than ``delay`` seconds (so
quick reports print nothing), is redrawn in place on one line, and is erased
when the report is done, so what the report writes to stdout is untouched.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Erase the current terminal line (carriage return, then "erase to end of line").
CLEAR = "\r\x1b[K"


@contextmanager
def report_progress(
    engine: Engine, name: str, stream: TextIO | None = None, *, delay: float = 1.0, every: float = 0.25
) -> Iterator[None]:
    """Show a status line on ``stream`` (default stderr) while the block runs, if ``stream`` is a terminal.

    :param engine: the engine the report queries; its statements are counted.
    :param name: the report's name, shown in the line.
    :param delay: seconds before the line first appears.
    :param every: seconds between redraws.
    """
    out = stream if stream is not None else sys.stderr
    if not out.isatty():
        yield
        return
    from sqlalchemy import event

    queries = 0
    started = time.monotonic()
    done = threading.Event()
    shown = False
    lock = threading.Lock()

    def counted(*_: Any) -> None:
        nonlocal queries
        queries += 1

    def draw() -> None:
        nonlocal shown
        with lock:
            plural = "query" if queries == 1 else "queries"
            out.write(f"{CLEAR}Running report {name}: {queries} {plural}, {time.monotonic() - started:.1f} s")
            out.flush()
            shown = True

    def ticker() -> None:
        if done.wait(delay):
            return
        while not done.is_set():
            draw()
            done.wait(every)

    event.listen(engine, "after_cursor_execute", counted)
    thread = threading.Thread(target=ticker, name=f"progress:{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        event.remove(engine, "after_cursor_execute", counted)
        if shown:
            draw()  # the final count, then erase the line
            out.write(CLEAR)
            out.flush()
