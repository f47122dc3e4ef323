"""``patron.discovery`` finds what ``importlib.metadata`` finds: the same entry points, names and versions."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from patron import discovery


def standard(group: str) -> list[tuple[str, str, str, str, str | None]]:
    found = []
    for ep in importlib.metadata.entry_points(group=group):
        assert ep.dist is not None
        found.append((ep.name, ep.value, ep.dist.metadata["Name"], ep.dist.version, ep.dist.metadata["Summary"]))
    return sorted(found)


def ours(group: str) -> list[tuple[str, str, str, str, str | None]]:
    found = []
    for ep in discovery.entry_points(group):
        assert ep.dist is not None
        found.append((ep.name, ep.value, ep.dist.name, ep.dist.version, ep.dist.summary))
    return sorted(found)


@pytest.mark.parametrize("group", ["patron", "patron.commands", "console_scripts", "pytest11"])
def test_this_environment_gives_the_same_answer_as_importlib_metadata(group):
    # The suite's own environment: the shipped plugins, the test plugins (conftest.py) and the tools.
    assert ours(group) == standard(group)


def test_the_shipped_and_test_plugins_are_found():
    names = {ep.name for ep in discovery.entry_points("patron")}
    assert {"probe", "broken_config"} <= names  # test plugins, from a dist-info conftest.py put on sys.path


def dist_info(site: Path, folder: str, name: str, version: str, entry_points: str, meta: str = "METADATA") -> None:
    info = site / folder
    info.mkdir(parents=True)
    (info / meta).write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {name} for tests\n\nName: not-me\n"
    )
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def path(monkeypatch, tmp_path):
    """A sys.path of two temporary folders only, so both readers see exactly these distributions."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setattr(sys, "path", [str(first), str(second)])
    return first, second


def test_the_first_distribution_of_a_name_on_sys_path_wins(path):
    first, second = path
    dist_info(first, "Shop_Plugin-2.0.dist-info", "shop-plugin", "2.0", "[patron]\nshop = shop_v2\n")
    dist_info(second, "shop.plugin-1.0.dist-info", "shop.plugin", "1.0", "[patron]\nshop = shop_v1\nold = x\n")
    dist_info(second, "other-0.1.egg-info", "other", "0.1", "[patron]\nother = o.p:q\n", meta="PKG-INFO")
    assert ours("patron") == standard("patron")
    assert ours("patron") == [
        ("other", "o.p:q", "other", "0.1", "other for tests"),
        ("shop", "shop_v2", "shop-plugin", "2.0", "shop-plugin for tests"),
    ]


def test_entry_points_txt_is_read_as_importlib_metadata_reads_it(path):
    first, _ = path
    text = (
        "# a comment\n\n[console_scripts]\ntool = a.b:main\n"
        "[patron]\n  spaced   =   pkg.mod : attr.sub [extra]  \n# x = y\nplain=pkg\n"
    )
    dist_info(first, "weird-1.0.dist-info", "Weird", "1.0", text)
    assert ours("patron") == standard("patron")
    assert ours("console_scripts") == standard("console_scripts")
    assert [ep.value for ep in discovery.entry_points("patron")] == ["pkg.mod : attr.sub [extra]", "pkg"]


def test_load_imports_the_module_and_walks_the_attributes(path):
    first, _ = path
    dist_info(first, "loader-1.0.dist-info", "loader", "1.0", "[g]\nm = os.path : join [x]\nn = json\n")
    points = {ep.name: ep for ep in discovery.entry_points("g")}
    import json
    import os.path

    assert points["m"].load() is os.path.join
    assert points["n"].load() is json


def test_a_zip_on_sys_path_is_left_to_importlib_metadata(path, tmp_path, monkeypatch):
    archive = tmp_path / "dists.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[patron]\nzipped = zipped\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(archive)])
    assert ours("patron") == standard("patron") == [("zipped", "zipped", "zipped", "1.0", None)]


def test_the_full_distribution_is_there_for_the_rest_of_the_metadata(path):
    first, _ = path
    dist_info(first, "summary-1.0.dist-info", "summary", "1.0", "[patron]\ns = s\n")
    (ep,) = discovery.entry_points("patron")
    assert ep.dist is not None
    assert ep.dist.full().metadata["Name"] == "summary"
    assert discovery.distribution_entry_points(ep.dist) == [("patron", "s", "s")]
