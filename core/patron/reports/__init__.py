"""The report engine: parameters, a read-only run, the data fingerprint and the renderers.

A report (``patron.contracts.Report``) is registered through ``patron_reports``
by any plugin, the core included (``patron.reports.overview``). Running one:

1. ``params.parse_params`` turns ``--param k=v`` strings into typed values;
2. ``runner.run_report`` runs it in one read-only transaction and computes the
   footer (parameters, as-of date, plugin versions, data fingerprint);
3. ``render.render`` turns the result and footer into HTML, Markdown, CSV or JSON.

Nothing heavy is imported here; import the submodules you need.
"""
