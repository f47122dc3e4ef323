"""Installed entry points, found the way ``importlib.metadata`` finds them, without importing it.

Every ``patron`` command starts by finding the enabled plugins' entry points.
``importlib.metadata`` costs more to import than click itself (it pulls in
``email``, ``zipfile``, ``csv`` and more, and parses each distribution's
``METADATA`` with the email parser), which is most of what ``patron --help``
paid over ``import click``. This module reads the same files directly:

- distributions are the ``*.dist-info`` and ``*.egg-info`` folders in each
  ``sys.path`` directory, in ``sys.path`` order and, within a directory, in
  listing order; the first of each normalized name wins, as in
  ``importlib.metadata.distributions()``;
- entry points come from each one's ``entry_points.txt`` (an INI-like file:
  ``[group]`` headers, ``name = value`` lines, ``#``/``;`` comments);
- the name, version and summary come from the header of ``METADATA``
  (``PKG-INFO`` for an egg-info), read up to its first blank line.

Where this simple reading could differ from ``importlib.metadata`` — a zip
file or an ``.egg`` on ``sys.path``, or a finder on ``sys.meta_path`` that
supplies distributions of its own — it hands over to ``importlib.metadata``,
so the answer is always the standard one. ``core/tests/test_discovery.py``
compares the two. Anything else about a distribution is read through ``importlib.metadata``
on demand (``DistributionInfo.full``).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import Distribution

_SEPARATORS = re.compile(r"[-_.]+")
#: ``module``, ``module:attr`` or ``module:attr [extras]`` (importlib.metadata's EntryPoint.pattern).
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@dataclass(frozen=True)
class DistributionInfo:
    """An installed distribution's ``Name``, ``Version`` and ``Summary``, as its metadata says, and where it is."""

    name: str
    version: str
    summary: str | None = None
    folder: str | None = None
    standard: Any = None  # the importlib.metadata Distribution, when it came from there

    def full(self) -> Distribution:
        """The ``importlib.metadata`` distribution, for anything beyond its name, version and summary."""
        if self.standard is not None:
            return self.standard  # type: ignore[no-any-return]
        from importlib.metadata import PathDistribution
        from pathlib import Path

        return PathDistribution(Path(self.folder or "."))


@dataclass(frozen=True)
class FoundEntryPoint:
    """One entry point: ``name = value`` in ``group``, declared by distribution ``dist``."""

    name: str
    value: str
    group: str
    dist: DistributionInfo | None

    def load(self) -> Any:
        """Import the module the value names and return it, or the attribute after ``:``."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r} has an invalid value {self.value!r}")
        found: Any = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            found = getattr(found, attr)
        return found


def entry_points(group: str) -> list[FoundEntryPoint]:
    """Every entry point in ``group`` of every installed distribution, in discovery order."""
    folders = _distribution_folders()
    if folders is None:
        return _standard_entry_points(group)
    found: list[FoundEntryPoint] = []
    for folder in folders:
        points = [(name, value) for ep_group, name, value in _read_entry_points(folder) if ep_group == group]
        if points:
            dist = _read_header(folder)
            found += [FoundEntryPoint(name, value, group, dist) for name, value in points]
    return found


def distribution_entry_points(dist: DistributionInfo) -> list[tuple[str, str, str]]:
    """``(group, name, value)`` of every entry point ``dist`` declares."""
    if dist.folder is not None:
        return _read_entry_points(dist.folder)
    return [(ep.group, ep.name, ep.value) for ep in dist.full().entry_points]


def _distribution_folders() -> list[str] | None:
    """The metadata folders ``importlib.metadata`` would use, first of each name; None to defer to it."""
    if any(_supplies_distributions(finder) for finder in sys.meta_path):
        return None
    seen: set[str] = set()
    folders: list[str] = []
    for entry in sys.path:
        root = entry or "."
        try:
            children = os.listdir(root)
        except NotADirectoryError:
            return None  # a zip file on sys.path: importlib.metadata reads inside it
        except OSError:
            continue  # a missing folder holds no distributions (importlib.metadata skips it too)
        if os.path.basename(root).lower().endswith(".egg"):
            return None  # an unpacked egg keeps its metadata in EGG-INFO: leave it to importlib.metadata
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            name = _SEPARATORS.sub("-", low.rpartition(".")[0].partition("-")[0]).replace("-", "_")
            if name not in seen:  # the first of a name on sys.path wins, as in importlib.metadata
                seen.add(name)
                folders.append(os.path.join(root, child))
    return folders


def _supplies_distributions(finder: object) -> bool:
    # The standard PathFinder finds what we find; any other finder with find_distributions adds its own.
    from importlib.machinery import PathFinder

    return finder is not PathFinder and hasattr(finder, "find_distributions")


def _read_text(folder: str, filename: str) -> str | None:
    try:
        with open(os.path.join(folder, filename), encoding="utf-8") as file:
            return file.read()
    except OSError:
        return None  # importlib.metadata's read_text treats an unreadable file as absent too


def _read_entry_points(folder: str) -> list[tuple[str, str, str]]:
    """``(group, name, value)`` from ``folder/entry_points.txt`` (read as importlib.metadata reads it)."""
    text = _read_text(folder, "entry_points.txt")
    found: list[tuple[str, str, str]] = []
    group: str | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line.strip("[]")
            continue
        name, sep, value = line.partition("=")
        if group is not None and sep:
            found.append((group, name.strip(), value.strip()))
    return found


def _read_header(folder: str) -> DistributionInfo | None:
    """Name, version, summary from ``METADATA`` (``PKG-INFO`` for an egg-info): its lines before the first blank."""
    text = _read_text(folder, "METADATA") or _read_text(folder, "PKG-INFO") or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version", "Summary") and key not in fields:
            fields[key] = value.strip()
    if "Name" not in fields or "Version" not in fields:
        return None
    return DistributionInfo(fields["Name"], fields["Version"], fields.get("Summary"), folder)


def _standard_entry_points(group: str) -> list[FoundEntryPoint]:
    from importlib.metadata import entry_points as standard

    found = []
    for ep in standard(group=group):
        dist = ep.dist
        info = None
        if dist is not None:
            meta = dist.metadata
            info = DistributionInfo(meta["Name"] or dist.name, dist.version, meta["Summary"], None, dist)
        found.append(FoundEntryPoint(ep.name, ep.value, group, info))
    return found
