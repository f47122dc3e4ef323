"""Editing patron.toml in place: the enabled list changes, everything the admin wrote stays."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from patron.configfile import render_template, set_enabled_plugins

NAMES = st.lists(st.sampled_from(["rfm", "loyalty", "nps", "email", "probe"]), unique=True, max_size=5)

MULTILINE = """\
# Head comment.
[patron]
database_url = "sqlite:///crm.db"  # beside this file
plugins = [
{items}
    # "later",  # not yet
]  # trailing comment

[plugins.rfm]
window_days = 365  # one year
"""


def multiline(names: list[str]) -> str:
    return MULTILINE.format(items="\n".join(f'    "{n}",  # why {n}' for n in names))


@settings(max_examples=60, deadline=None)
@given(current=NAMES, wanted=NAMES)
def test_any_change_of_the_list_keeps_everything_else(tmp_path_factory, current, wanted):
    path = tmp_path_factory.mktemp("cfg") / "patron.toml"
    path.write_text(multiline(current))
    set_enabled_plugins(path, wanted)
    text = path.read_text()
    data = tomllib.loads(text)
    assert data["patron"]["plugins"] == wanted
    assert data["plugins"]["rfm"] == {"window_days": 365}
    for kept in ("# Head comment.", "# beside this file", "# trailing comment", "# one year"):
        assert kept in text


def test_enabling_and_disabling_keeps_comments_inside_the_array(tmp_path):
    path = tmp_path / "patron.toml"
    path.write_text(multiline(["rfm", "nps"]))
    set_enabled_plugins(path, ["rfm", "nps", "loyalty"])  # what 'enable loyalty' asks for
    assert '"rfm",  # why rfm' in path.read_text() and '# "later",  # not yet' in path.read_text()
    set_enabled_plugins(path, ["nps", "loyalty"])  # what 'disable rfm' asks for
    text = path.read_text()
    assert "why rfm" not in text and '"nps",  # why nps' in text and '# "later",  # not yet' in text
    assert tomllib.loads(text)["patron"]["plugins"] == ["nps", "loyalty"]


def test_a_file_without_the_key_or_table_gets_them(tmp_path):
    path = tmp_path / "patron.toml"
    path.write_text("# only a comment\n")
    set_enabled_plugins(path, ["rfm"])
    assert path.read_text().startswith("# only a comment\n")
    assert tomllib.loads(path.read_text()) == {"patron": {"plugins": ["rfm"]}}


def test_the_template_is_valid_toml_with_the_given_values():
    data = tomllib.loads(render_template('sqlite:///C:\\crm "x".db', ["rfm", "loyalty"], secret_key="k" * 40))
    assert data == {
        "patron": {"database_url": 'sqlite:///C:\\crm "x".db', "plugins": ["rfm", "loyalty"], "secret_key": "k" * 40}
    }
    # Without a key given, each new file gets a fresh one.
    first, second = (tomllib.loads(render_template("sqlite:///p.db", []))["patron"]["secret_key"] for _ in "ab")
    assert first != second and len(first) >= 32
