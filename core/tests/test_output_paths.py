"""Output paths and terminals: -o never replaces special files nor creates folders; escapes are shown, not obeyed.

Before: ``-o myfifo`` turned a FIFO into a regular file and ``-o /dev/null`` (as
root) replaced the device; ``-o /nonexistent/dir/x.md`` created the folders;
``-o /proc/self/mem`` ended in a traceback; reports were 0600 whatever the
umask; a name that clears the screen reached the terminal through ``customers
show``; interrupted imports left ``/tmp/patron-import-*`` folders of external ids;
config errors were printed twice.
"""

from __future__ import annotations

import io
import os
import stat
import threading
from pathlib import Path

import pytest

from patron.cli import main
from patron.importer.seen import PREFIX, SeenIds
from patron.reports.output import write_file
from patron.terminal import TerminalWriter, clean

pytestmark = pytest.mark.sqlite_only

EVIL = "Ann\x1b]0;owned\x07\x1b[2J\u202eevil"


def test_a_fifo_is_written_into_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file(fifo, "hello\n")
    reader.join(10)
    assert got == [b"hello\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_null_stays_a_device(patron_app, patron_cli):
    before = os.stat("/dev/null")
    assert patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", "/dev/null").exit_code == 0
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_missing_folders_are_never_created(patron_app, patron_cli, tmp_path):
    target = tmp_path / "no" / "such" / "x.md"
    result = patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", str(target))
    assert result.exit_code == 6 and "does not exist; create it first" in result.stderr
    assert not (tmp_path / "no").exists()
    csv_dir = tmp_path / "no" / "dir"
    result = patron_cli(patron_app, "report", "run", "overview", "-f", "csv", "-o", str(csv_dir))
    assert result.exit_code == 6 and not (tmp_path / "no").exists()


def test_unwritable_special_files_fail_in_one_line(patron_app, patron_cli, patron_factory):
    cid = patron_factory(patron_app).customer(external_id="c1")
    for target in ("/proc/self/mem", "/proc/version"):
        result = patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", target)
        assert result.exit_code == 6, result.output
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr and target in result.stderr
        result = patron_cli(patron_app, "customers", "export", f"#{cid}", "-o", target)
        assert result.exit_code == 6 and "Traceback" not in result.stderr


def test_reports_honour_the_umask_and_keep_an_existing_mode(patron_app, patron_cli, tmp_path):
    old = os.umask(0o022)
    try:
        new = tmp_path / "r.md"
        assert patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", str(new)).exit_code == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        os.umask(0o077)
        other = tmp_path / "private.md"
        assert patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", str(other)).exit_code == 0
        assert stat.S_IMODE(other.stat().st_mode) == 0o600
        new.chmod(0o640)
        assert patron_cli(patron_app, "report", "run", "overview", "-f", "md", "-o", str(new)).exit_code == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_symlink_to_a_file_stays_a_symlink(tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_file(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_stored_escapes_are_shown_not_obeyed(patron_app, patron_cli, patron_factory):
    patron_factory(patron_app).customer(external_id="c1", name=EVIL, email="a@x.org")
    for args in (("customers", "show", "c1"), ("customers", "search", "ann"), ("consent", "show", "c1")):
        result = patron_cli(patron_app, *args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\x07" not in result.stdout
    shown = patron_cli(patron_app, "customers", "show", "c1").stdout
    assert "Ann\\x1b]0;owned\\x07\\x1b[2J\\u202eevil" in shown


def test_the_terminal_writer_cleans_every_commands_output():
    sink = io.StringIO()
    TerminalWriter(sink).write(f"line one {EVIL}\n\tline two\n")
    assert sink.getvalue() == f"line one {clean(EVIL)}\n\tline two\n"
    assert clean("Zoë Ünal") == "Zoë Ünal" and clean("a\nb") == "a\\x0ab" and clean("a\nb", lines=True) == "a\nb"


def test_interrupted_import_scratch_folders_live_beside_the_database_and_are_cleaned(tmp_path):
    stale = tmp_path / f"{PREFIX}999999999-abc"  # no such process
    stale.mkdir()
    (stale / "seen.db").write_bytes(b"ids")
    seen = SeenIds(tmp_path)
    try:
        assert not stale.exists()
        mine = [p for p in tmp_path.iterdir() if p.name.startswith(PREFIX)]
        assert len(mine) == 1 and stat.S_IMODE(mine[0].stat().st_mode) == 0o700
        # A live import's folder (this process) is left alone by a second run.
        SeenIds(tmp_path).close()
        assert mine[0].exists()
    finally:
        seen.close()
    assert not any(p.name.startswith(PREFIX) for p in tmp_path.iterdir())


def test_an_import_uses_the_database_folder(patron_app, patron_cli, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "shared-tmp"))
    (tmp_path / "shared-tmp").mkdir()
    (tmp_path / "c.csv").write_text("external_id,name\nc1,Ann\n", encoding="utf-8")
    assert patron_cli(patron_app, "import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    assert list((tmp_path / "shared-tmp").iterdir()) == []
    db_folder = Path(patron_app.engine.url.database).parent
    assert not any(p.name.startswith(PREFIX) for p in db_folder.iterdir())


def test_a_config_error_is_printed_once(tmp_path, capsys):
    cfg = tmp_path / "patron.toml"
    cfg.write_text('[patron]\nplugins = ["no_such_plugin"]\n')
    with pytest.raises(SystemExit) as done:
        main(["--config", str(cfg), "db", "status"])
    assert done.value.code != 0
    err = capsys.readouterr().err
    assert err.count("is enabled in") == 1 and "Warning" not in err
