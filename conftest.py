"""Make the test plugins under ``tests/plugins/`` discoverable to this test session only.

The test plugins (``probe`` implements every hook, ``broken`` fails in each way the
registry must explain) are never installed into an environment: a user's ``.venv``,
the demo's, or one built with ``pip install ./core ./plugins/...`` lists only the
shipped plugins. For the suite they are made visible as real distributions:

- each test plugin's folder goes on ``sys.path`` (its sources are imported in place,
  so an edit needs no reinstall);
- a ``<name>-<version>.dist-info`` with ``METADATA`` and ``entry_points.txt``, written
  from the plugin's own ``pyproject.toml`` into a session temporary directory, goes
  on ``sys.path`` too, which is where ``importlib.metadata`` finds distributions;
- both are put on ``PYTHONPATH`` as well, so a ``patron`` or ``python`` subprocess a
  test starts sees the same plugins.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

TEST_PLUGINS = Path(__file__).resolve().parent / "tests" / "plugins"
_SITE = pytest.StashKey[Path]()


def write_dist_info(project: Path, site: Path) -> None:
    """Write the ``.dist-info`` that ``importlib.metadata`` reads for the distribution in ``project``."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = meta["name"], meta["version"]
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {meta.get('description', '')}\n",
        encoding="utf-8",
    )
    groups = meta.get("entry-points", {})
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in points.items()) + "\n"
            for group, points in groups.items()
        ),
        encoding="utf-8",
    )


def pytest_configure(config: pytest.Config) -> None:
    site = Path(tempfile.mkdtemp(prefix="patron-test-plugins-"))
    config.stash[_SITE] = site
    projects = sorted(path.parent for path in TEST_PLUGINS.glob("*/pyproject.toml"))
    for project in projects:
        write_dist_info(project, site)
    entries = [str(site), *(str(project) for project in projects)]
    # In front: a venv made before the test plugins left it may still hold an older copy of them.
    sys.path[:0] = entries
    os.environ["PYTHONPATH"] = os.pathsep.join([*entries, *filter(None, [os.environ.get("PYTHONPATH")])])


def pytest_unconfigure(config: pytest.Config) -> None:
    site = config.stash.get(_SITE, None)
    if site is not None:
        shutil.rmtree(site, ignore_errors=True)
