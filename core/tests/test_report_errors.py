"""A plugin report that fails says which plugin and which report, in one line, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from patron import hookimpl
from patron.contracts import ReportResult
from patron.errors import PatronError
from patron.reports.runner import run_report


class BrokenReport:
    name = "broken-sql"
    title = "Broken"
    description = "Runs SQL the database refuses."
    params = ()

    def run(self, app, session, params):
        session.execute(text("SELECT no_such_column FROM customers"))
        return ReportResult(title="never", summary={})


class BrokenPlugin:
    @hookimpl
    def patron_reports(self, register):
        register(BrokenReport())


def test_a_failing_plugin_report_names_plugin_and_report(patron_app, patron_inline_plugin):
    # The CLI prints a PatronError as one "Error: ..." line (no traceback); the runner must raise one.
    patron_inline_plugin(patron_app, BrokenPlugin(), name="brokenrep")
    with pytest.raises(PatronError) as caught:
        run_report(patron_app, "broken-sql")
    message = str(caught.value)
    assert "brokenrep" in message and 'report "broken-sql"' in message, message
    assert "\n" not in message.strip(), message
    run_report(patron_app, "overview")  # the connection is usable again afterwards
