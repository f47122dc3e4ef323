"""Every code block of the plugin author's guide runs, in order, so the guide cannot rot.

Conventions of ``docs/writing-plugins.md`` then ``docs/testing-plugins.md``
(one session, one temporary directory, the second guide continuing the first):

- a block whose info string has ``file=PATH`` (any language) is written to PATH;
- a ``console`` block runs its ``$ `` lines with bash (``set -e``) in the
  temporary directory, a throwaway venv's ``bin`` first on PATH (what the guide
  installs goes there, never into the shared venv); every other non-empty
  line is expected output and must appear in what the commands printed;
- a ``python`` block without ``file=`` is run with the venv's Python there;
- any other block is an error: tag it, or it is not checked.

pip builds the scaffolded package with this venv's setuptools
(``PIP_NO_BUILD_ISOLATION=0``, pip's inverted spelling of "no isolation"), so
the walk needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("writing-plugins.md", "testing-plugins.md")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    guide: str
    line: int
    lang: str
    file: str | None
    body: str

    @property
    def where(self) -> str:
        return f"docs/{self.guide}:{self.line}"


def blocks(guide: str) -> list[Block]:
    """The fenced blocks of one guide, with their language and ``file=`` target."""
    text = (DOCS / guide).read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info = match.group(1).split()
        lang = info[0] if info else ""
        target = next((part.removeprefix("file=") for part in info[1:] if part.startswith("file=")), None)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(guide, line, lang, target, match.group(2)))
    return found


def run_block(block: Block, root: Path, env: dict[str, str], python: Path) -> None:
    if block.file is not None:
        path = root / block.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.body, encoding="utf-8")
        return
    if block.lang == "python":
        done = subprocess.run(
            [str(python), "-c", block.body], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{block.where}: the python block failed:\n{done.stdout}{done.stderr}"
        return
    assert block.lang == "console", f"{block.where}: a ```{block.lang} block is neither run nor written; tag it"
    lines = block.body.splitlines()
    commands = [line[2:] for line in lines if line.startswith("$ ")]
    expected = [line.strip() for line in lines if line.strip() and not line.startswith("$ ")]
    script = "set -e\n" + "\n".join(f"( {command} )" for command in commands)
    done = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{block.where}: a command failed (exit {done.returncode}):\n{output[-4000:]}"
    for want in expected:
        assert want in output, f"{block.where}: expected {want!r} in the output of the block:\n{output[-4000:]}"


@pytest.mark.slow
def test_the_guides_run_from_scaffold_to_wheel(tmp_path: Path, throwaway_venv: Path) -> None:
    bin_dir = throwaway_venv
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PATRON_") or key == "PATRON_TEST_POSTGRES_URL"
    }
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "PIP_NO_BUILD_ISOLATION": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    env.pop("CI", None)  # the guide's own pytest runs skip PostgreSQL when no server is named
    for guide in GUIDES:
        for block in blocks(guide):
            run_block(block, tmp_path, env, bin_dir / "python")


def test_every_block_is_runnable_or_a_file() -> None:
    for guide in GUIDES:
        found = blocks(guide)
        assert found, f"docs/{guide} has no code blocks"
        for block in found:
            assert block.file is not None or block.lang in ("console", "python"), (
                f"{block.where}: ```{block.lang} is not executed by this test; use console, python or file=PATH"
            )


def test_the_rule_table_lists_every_conformance_rule() -> None:
    from patron_sdk.conformance import RULES

    text = (DOCS / "testing-plugins.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\|[^|]*?`([a-z-]+)`", text, re.MULTILINE))
    listed |= {
        m
        for row in re.findall(r"^\| (`[a-z-]+`(?:, `[a-z-]+`)+) \|", text, re.MULTILINE)
        for m in re.findall(r"`([a-z-]+)`", row)
    }
    assert {r.id for r in RULES} <= listed, f"document these rules: {sorted({r.id for r in RULES} - listed)}"


def test_the_guides_link_the_hook_reference() -> None:
    assert "(hooks.md)" in (DOCS / "writing-plugins.md").read_text(encoding="utf-8")
    assert (DOCS / "hooks.md").exists()
