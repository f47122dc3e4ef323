"""The status line of a running report: on a terminal only, counting queries, erased when done."""

from __future__ import annotations

import io
import threading

from patron.reports.progress import CLEAR, report_progress
from patron.reports.runner import run_report


class Terminal(io.StringIO):
    """A stream that says it is a terminal and signals its first write."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


def test_a_terminal_sees_the_report_working_and_then_a_clean_line(patron_app):
    out = Terminal()
    with report_progress(patron_app.engine, "overview", out, delay=0, every=0.01):
        assert out.written.wait(10)  # the line is up before the report starts
        run_report(patron_app, "overview", ["as_of=2024-01-01"])
    text = out.getvalue()
    assert text.startswith(f"{CLEAR}Running report overview: ") and text.endswith(CLEAR)
    final = text.split(CLEAR)[-2]  # the last line drawn, just before it was erased
    queries = int(final.split(": ")[1].split(" ")[0])
    assert queries >= 5, final  # the overview's statements were counted


def test_nothing_is_written_when_not_a_terminal(patron_app):
    out = io.StringIO()
    with report_progress(patron_app.engine, "overview", out, delay=0):
        run_report(patron_app, "overview", ["as_of=2024-01-01"])
    assert out.getvalue() == ""


def test_a_quick_report_prints_nothing(patron_app):
    out = Terminal()
    with report_progress(patron_app.engine, "overview", out, delay=60):
        run_report(patron_app, "overview", ["as_of=2024-01-01"])
    assert out.getvalue() == ""


def test_the_engine_is_left_as_it_was(patron_app):
    listeners = len(patron_app.engine.dispatch.after_cursor_execute)
    out = Terminal()
    with report_progress(patron_app.engine, "overview", out, delay=0, every=60):
        assert out.written.wait(10)
        assert len(patron_app.engine.dispatch.after_cursor_execute) == listeners + 1
    assert len(patron_app.engine.dispatch.after_cursor_execute) == listeners
    assert out.getvalue().split(CLEAR)[-2].startswith("Running report overview: 0 queries, ")
