"""``patron serve``: run the web endpoints (plugin routes, health, admin reports) with uvicorn.

Only this command imports Starlette and uvicorn, inside its body, so every other
command (and ``patron --help``) stays free of them.
"""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--rate-limit",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Requests per second per client address (bursts of 30 allowed); more get 429.",
)
@click.option(
    "--max-body",
    default=64 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest request body in bytes; larger get 413.",
)
def serve(host: str, port: int, rate_limit: float, max_body: int) -> None:
    """Serve the web endpoints: one-click unsubscribe, survey answers, /health, admin /reports.

    Routes come from the enabled plugins. Links in messages point at
    [patron] base_url, so put this server (or the proxy in front of it) there.
    """
    from patron.cli_options import get_app
    from patron.errors import ConfigError

    try:
        import uvicorn

        from patron.web.server import build_asgi_app
    except ImportError as exc:
        # The web extra is optional: say how to get it instead of a traceback.
        raise ConfigError(
            f"patron serve needs the web extra ({exc.name} is missing): pip install 'patron[web]'"
        ) from exc
    app = get_app()
    asgi = build_asgi_app(app, rate_per_second=rate_limit, max_body_bytes=max_body)
    paths = sorted({getattr(r, "path", "?") for r in asgi.routes})
    click.echo(f"Serving {len(paths)} route(s) on http://{host}:{port}: {', '.join(paths)}", err=True)
    if not app.settings.admin_token:
        click.echo("Admin /reports is off (set [patron] admin_token to turn it on).", err=True)
    uvicorn.run(asgi, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
