"""The web host: ``patron serve`` (Starlette behind uvicorn) and its pages.

Host layer: imported only by ``patron serve`` and by tests, never by another
command, so ``patron --help`` and every other command stay free of Starlette.
Install it with the extra: ``pip install 'patron[web]'``.

- ``server.build_asgi_app(app)``: the ASGI application: ``/health``, the routes
  plugins contribute through ``patron_web_routes``, and the admin reports.
- ``pages.page(...)``: the short human page every response and error uses.
- ``limits``: request size and per-client rate limits (pure ASGI middleware).
- ``admin``: ``/reports``, on only when ``[patron] admin_token`` is set.
"""
