"""Fixtures of the SDK's own tests."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest


@pytest.fixture
def throwaway_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtual environment that sees this one's packages.

    Tests that ``pip install`` a scaffolded plugin install it here, never into
    the shared development venv, so an interrupted run leaves nothing behind (a
    leftover entry point would show up in every later ``patron plugins list``).
    A ``.pth`` file adds this venv's site-packages (editable installs included)
    after the new venv's own, so nothing is downloaded or copied. ``bin`` holds
    ``python`` and small ``pip``, ``patron`` and ``pytest`` launchers.
    """
    root = tmp_path_factory.mktemp("venv")
    venv.create(root, with_pip=False, symlinks=True)
    bin_dir = root / "bin"
    python = bin_dir / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shared = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in shared)
    (Path(purelib) / "_patron_shared_venv.pth").write_text(lines, encoding="utf-8")
    for name, module in (("pip", "pip"), ("patron", "patron.cli"), ("pytest", "pytest")):
        launcher = bin_dir / name
        launcher.write_text(f'#!/bin/sh\nexec "{python}" -m {module} "$@"\n', encoding="utf-8")
        launcher.chmod(0o755)
    assert Path(sys.executable).parent != bin_dir
    return bin_dir
