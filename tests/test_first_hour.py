"""A new user's first hour, followed as written: the README's quick start, the demo's hints, a project of one's own.

Every command runs in a subprocess whose environment is a user's, not the suite's:
no ``.venv/bin`` on ``PATH``, no ``VIRTUAL_ENV``, no ``PATRON_*`` settings, and no
``PYTHONPATH`` (which is how the suite sees the test plugins; a user never does).

- The quick start's first block (``make demo``, then a report list) runs word for
  word in a mirror of this checkout (symlinks to every top-level entry, so the demo
  lands in a temporary ``patron-demo``, not in the checkout), then every line of the
  demo's "what to try next" runs as printed, each exiting 0.
- The second block (a virtual environment of one's own, ``pip install ./core
  ./plugins/segmentation_rfm``, init, enable, upgrade) runs word for word with
  ``HOME`` a temporary folder; then, in that environment, the CDNOW sample is
  imported with ``patron import cdnow``, scored with ``patron rfm score`` and a
  report rendered in every format.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SAMPLE = ROOT.parent / "shared" / "data" / "CDNOW_sample.txt"
TEST_PLUGIN = re.compile(r"\b(probe|broken_\w+)\b")


def quick_start_blocks() -> list[list[str]]:
    """The ``$ `` command lines of each console block in the README's Quick start section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quick start")
    section = text[start : text.index("\n## ", start + 1)]
    blocks = re.findall(r"^```console\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    return [[line[2:] for line in block.splitlines() if line.startswith("$ ")] for block in blocks]


def user_env(home: Path | None = None) -> dict[str, str]:
    """The environment of a shell where nothing was activated (and, given ``home``, a fresh home folder)."""
    venv_bins = {str(ROOT / ".venv" / "bin"), str(Path(sys.executable).parent)}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PATRON_") and key not in ("PYTHONPATH", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL")
    }
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p not in venv_bins)
    if home is not None:
        env["HOME"] = str(home)
    return env


def run(command: str, cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    """Run one shell line as a user would type it; return what it printed, failing the test on a non-zero exit."""
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{command!r} (in {cwd}) exited {done.returncode}:\n{output[-4000:]}"
    return output


def demo_hints(output: str) -> list[str]:
    """The command lines the demo printed under "What to try next"."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("What to try next"))
    hints = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        hints.append(line.strip())
    return hints


def mirror(folder: Path) -> Path:
    """A folder whose top-level entries are symlinks to this checkout's (except a demo made there)."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("patron-demo", ".git"):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_the_quick_start_has_the_two_blocks_this_module_follows() -> None:
    demo, own = quick_start_blocks()
    assert demo[0].startswith("make demo") and any("report list" in line for line in demo)
    assert any(line.startswith("pip install") and "./core" in line for line in own)


@pytest.mark.slow
def test_the_quick_start_and_the_demos_hints_work_as_printed(tmp_path: Path) -> None:
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("make demo uses the checkout's .venv; this suite runs in another environment")
    if subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.fail(".venv is older than a pyproject.toml or requirements-dev.txt: run 'make setup' (make test does)")
    checkout = mirror(tmp_path / "checkout")
    env = user_env()
    demo_block, _ = quick_start_blocks()
    outputs = [run(line, checkout, env) for line in demo_block]
    assert "overview" in outputs[-1]
    setup_noise = [line for line in outputs[0].splitlines() if "pip" in line.lower() or "warning" in line.lower()]
    assert not setup_noise, f"make demo is not quiet: {setup_noise}"
    hints = demo_hints(outputs[0])
    assert len(hints) >= 5, outputs[0]
    cwd = checkout
    for line in hints:
        if line.startswith("cd "):
            cwd = Path(run(f"{line} && pwd", cwd, env).strip().splitlines()[-1])
            continue
        output = run(line, cwd, env)
        if line.endswith("plugins list"):
            assert "rfm" in output and not TEST_PLUGIN.search(output), output
    assert (checkout / "patron-demo" / "out").is_dir()  # the CSV hint wrote where it said


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} is not available")
def test_a_project_of_ones_own_with_only_the_core_and_rfm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(home)
    _, own_block = quick_start_blocks()
    # One shell, as a user types it: the activation of the first line holds for the rest.
    output = run("set -e\n" + "\n".join(own_block), ROOT, env, timeout=1200)
    assert not TEST_PLUGIN.search(output), output
    venv, project = home / "patron-env", home / "my-crm"
    assert (project / "patron.toml").is_file() and (venv / "bin" / "patron").is_file()
    env = {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}", "VIRTUAL_ENV": str(venv)}

    def patron(*args: str) -> str:
        return run(shlex.join(["patron", *args]), project, env)

    installed = json.loads(patron("plugins", "list", "--json"))
    assert {row["name"] for row in installed} == {"core", "rfm"}
    assert patron("import", "cdnow", str(SAMPLE)).count("inserted") == 2
    assert "2357 customers scored" in patron("rfm", "score", "--as-of", "1998-07-01")
    assert "rfm-segments" in patron("report", "list")
    for fmt in ("html", "md", "json"):
        patron("report", "run", "rfm-segments", "--format", fmt, "-o", f"segments.{fmt}")
    patron("report", "run", "rfm-segments", "--format", "csv", "-o", "csv/")
    assert (project / "segments.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert "Champions" in (project / "segments.md").read_text(encoding="utf-8")
    assert json.loads((project / "segments.json").read_text(encoding="utf-8"))
    assert list((project / "csv").glob("rfm-segments*.csv"))
