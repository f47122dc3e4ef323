"""``patron demo [DIR]``: a synthetic customer base in a fresh SQLite database, with every report rendered."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", default="patron-demo", type=click.Path(file_okay=False))
@click.option("--customers", default=3000, show_default=True, type=click.IntRange(min=1), help="How many customers.")
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed gives the same data.")
@click.option("--force", is_flag=True, help="Replace an earlier demo in DIR.")
def demo(directory: str, customers: int, seed: int, force: bool) -> None:
    """Create a demo database in DIR (default ./patron-demo), load synthetic data and render every report.

    The database is SQLite, the data deterministic (seeded) and every installed
    shipped plugin is enabled. Your own patron.toml is never touched: DIR gets its own.
    """
    import time

    from patron.demo.build import build_demo

    started = time.monotonic()
    outcome = build_demo(Path(directory), customers=customers, seed=seed, force=force, say=click.echo)
    click.echo("")
    click.echo("Wrote:")
    click.echo(f"  {outcome.directory / 'patron.toml'}")
    click.echo(f"  {outcome.directory / 'patron.db'}")
    for _name, _title, paths in outcome.reports:
        for path in paths:
            click.echo(f"  {path}")
    click.echo(f"  {outcome.index}   <- open this in a browser")
    click.echo(f"Done in {time.monotonic() - started:.1f}s.")
    click.echo("")
    steps, activate = next_steps(outcome.directory, Path.cwd())
    click.echo("What to try next (each line works as printed in this shell; nothing needs activating):")
    for line in steps:
        click.echo(f"  {line}")
    if activate is not None:
        click.echo(f"To type plain 'patron' instead, activate its environment first: {activate}")


#: The commands the demo suggests, after ``patron`` (each must work on the demo's database as printed).
TRY_NEXT = (
    "report list",
    "report run overview --param months=24 --format md",
    "report run overview --format csv -o out/",
    "report run overview --param as_of=2025-07-01 --param top=5 --format json",
    "plugins list",
    "customers show C000001",
)


def next_steps(directory: Path, cwd: Path) -> tuple[list[str], str | None]:
    """The "what to try next" lines, runnable as printed from ``cwd``, and how to activate (None: not needed).

    The ``patron`` that ran the demo is named by its path (relative when it is near
    the demo) unless the same one is already first on ``PATH``: a user who ran
    ``make demo`` has activated nothing.
    """
    import shlex
    import shutil
    import sys

    script = Path(sys.executable).parent / "patron"
    lines = [] if directory.resolve() == cwd.resolve() else [f"cd {shlex.quote(_shown(directory, cwd))}"]
    found = shutil.which("patron")
    if script.is_file() and found is not None and Path(found).resolve() == script.resolve():
        return [*lines, *(f"patron {command}" for command in TRY_NEXT)], None
    if script.is_file():
        patron = shlex.quote(_shown(script, directory, command=True))
    else:  # run as "python -m patron.cli": no console script to name
        patron = f"{shlex.quote(_shown(Path(sys.executable), directory, command=True))} -m patron.cli"
    activate = script.parent / "activate"
    tip = f"source {shlex.quote(_shown(activate, cwd))}" if activate.is_file() else None
    return [*lines, *(f"{patron} {command}" for command in TRY_NEXT)], tip


def _shown(path: Path, base: Path, *, command: bool = False) -> str:
    """``path`` relative to ``base`` when they share a folder below the root, else absolute.

    A ``command`` gets a leading ``./`` when it would otherwise be a bare name (which the shell looks up on PATH).
    """
    import os

    path, base = Path(os.path.abspath(path)), Path(os.path.abspath(base))
    if os.path.commonpath([path, base]) == os.sep:
        return str(path)
    relative = os.path.relpath(path, base)
    return f".{os.sep}{relative}" if command and os.sep not in relative else relative
