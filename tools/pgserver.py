#!/usr/bin/env python3
"""Run a throwaway PostgreSQL server on loopback for the test suite.

Usage::

    python tools/pgserver.py start [--dir DIR]   # prints the database URL
    python tools/pgserver.py url   [--dir DIR]   # prints the URL if running
    python tools/pgserver.py stop  [--dir DIR]   # stops it (no-op if not running)

``start`` finds the PostgreSQL server binaries (installing Debian's
``postgresql`` package when running as root and none are present), creates a
private cluster in DIR (default ``/tmp/patron-pgtest-<uid>``), starts it on a
free port of 127.0.0.1 with trust authentication for the role ``patron``,
makes sure the database ``patron_test`` exists, and prints exactly one line on
stdout::

    postgresql+psycopg://patron@127.0.0.1:PORT/patron_test

Calling ``start`` again while that server still answers reuses it. Everything
else (progress, errors, the server log tail on failure) goes to stderr, so a
Makefile can capture the URL with ``$(shell ...)`` or ``URL=$$(...)``.

Layout of DIR: ``data/`` (the cluster), ``log`` (server log), ``port``,
``.lock`` and the Unix socket ``.s.PGSQL.PORT``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

PG_USER = "patron"
PG_DATABASE = "patron_test"
# Debian's package creates this account; the server refuses to run as root.
SYSTEM_USER = "postgres"
HOST = "127.0.0.1"
READY_TIMEOUT = 60.0
# Generous upper bound so a wedged child can never hang `make` forever.
COMMAND_TIMEOUT = 300.0
REQUIRED_BINARIES = ("pg_ctl", "initdb", "postgres")
# sun_path is 108 bytes on Linux including the NUL terminator.
MAX_SOCKET_PATH = 107
LOG_TAIL_LINES = 40


class PgServerError(Exception):
    """A failure worth reporting to the user, optionally with the server log."""

    def __init__(self, message: str, *, show_log: bool = False) -> None:
        super().__init__(message)
        self.show_log = show_log


def log(message: str) -> None:
    """Write a diagnostic line; stdout is reserved for the URL."""
    print(f"pgserver: {message}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def default_dir() -> Path:
    # Outside the repo: the checkout may live somewhere (e.g. /root) that the
    # postgres system user cannot traverse.
    return Path(f"/tmp/patron-pgtest-{os.getuid()}")


def database_url(port: int) -> str:
    return f"postgresql+psycopg://{PG_USER}@{HOST}:{port}/{PG_DATABASE}"


def child_env() -> dict[str, str]:
    """Environment for PostgreSQL programs, free of the caller's PG* settings.

    Variables such as PGSSLMODE, PGPASSWORD, PGDATABASE or PGSERVICE would
    silently change how the client tools connect to our private server.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    # A locale that is not installed makes initdb/postgres fail or warn.
    env["LC_ALL"] = "C"
    env["PGCONNECT_TIMEOUT"] = "5"
    return env


def run(
    cmd: Sequence[str],
    *,
    as_server_user: bool = False,
    cwd: Path | None = None,
    capture: bool = False,
    check: bool = True,
    timeout: float = COMMAND_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run a command; its output goes to stderr unless captured.

    Output is never sent to our stdout, which must carry only the URL, and
    stdin is closed so no tool can stop to prompt for a password.
    """
    argv = list(cmd)
    if as_server_user and is_root():
        if shutil.which("runuser"):
            argv = ["runuser", "-u", SYSTEM_USER, "--", *argv]
        else:
            # Minimal images may lack util-linux' runuser; setuid via Python works too.
            return _run(argv, cwd, capture, check, timeout, user=SYSTEM_USER)
    return _run(argv, cwd, capture, check, timeout, user=None)


def _run(
    argv: list[str],
    cwd: Path | None,
    capture: bool,
    check: bool,
    timeout: float,
    user: str | None,
) -> subprocess.CompletedProcess[str]:
    uid: int | None = None
    gid: int | None = None
    groups: list[int] | None = None
    if user is not None:
        entry = pwd.getpwnam(user)
        uid, gid, groups = entry.pw_uid, entry.pw_gid, []
    try:
        result = subprocess.run(
            argv,
            cwd=cwd,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else sys.stderr.fileno(),
            stderr=subprocess.PIPE if capture else sys.stderr.fileno(),
            text=True,
            timeout=timeout,
            check=False,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
    except subprocess.TimeoutExpired as exc:
        raise PgServerError(f"command timed out after {timeout:.0f}s: {shlex.join(argv)}", show_log=True) from exc
    except OSError as exc:
        raise PgServerError(f"cannot run {shlex.join(argv)}: {exc}") from exc
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip() if capture else ""
        raise PgServerError(
            f"command failed (exit {result.returncode}): {shlex.join(argv)}" + (f"\n{detail}" if detail else ""),
            show_log=True,
        )
    return result


# --------------------------------------------------------------------------
# Locating / installing PostgreSQL
# --------------------------------------------------------------------------


def _version_key(bindir: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin; compare numerically so 16 > 9.6.
    return tuple(int(p) for p in re.findall(r"\d+", bindir.parent.name)) or (0,)


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in REQUIRED_BINARIES)


def find_bindir() -> Path | None:
    """Return the directory with pg_ctl/initdb/postgres, preferring the newest."""
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if _has_binaries(p)),
        key=_version_key,
        reverse=True,
    )
    if candidates:
        return candidates[0]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        bindir = Path(pg_ctl).resolve().parent
        if _has_binaries(bindir):
            return bindir
    return None


def install_postgresql() -> None:
    if not is_root():
        raise PgServerError(
            "PostgreSQL server binaries (pg_ctl, initdb, postgres) were not found "
            "under /usr/lib/postgresql/*/bin or on PATH, and installing them needs "
            "root. Install them, e.g. `sudo apt-get install postgresql` on "
            "Debian/Ubuntu, or put your PostgreSQL bin directory on PATH."
        )
    log("PostgreSQL server not found; installing Debian package 'postgresql'")
    # Debconf must not prompt: stdin is closed and we may run under make.
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    try:
        run(["apt-get", "update", "-qq"], timeout=900)
        # postgresql-common may create and start its own cluster on 5432;
        # harmless, we never use it.
        run(["apt-get", "install", "-y", "-qq", "postgresql"], timeout=1800)
    except PgServerError as exc:
        raise PgServerError(
            f"installing PostgreSQL failed ({exc}). Try `apt-get update && "
            "DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql` by hand."
        ) from exc


def require_bindir(*, allow_install: bool) -> Path:
    bindir = find_bindir()
    if bindir is None and allow_install:
        install_postgresql()
        bindir = find_bindir()
    if bindir is None:
        raise PgServerError(
            "PostgreSQL server binaries (pg_ctl, initdb, postgres) not found "
            "under /usr/lib/postgresql/*/bin or on PATH."
        )
    return bindir


def ensure_system_user() -> None:
    """Make sure the unprivileged account that will own the cluster exists."""
    if not is_root():
        return
    try:
        pwd.getpwnam(SYSTEM_USER)
        return
    except KeyError:
        pass
    log(f"creating system user {SYSTEM_USER!r}")
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    run(["useradd", "--system", "--no-create-home", "--shell", nologin, SYSTEM_USER])


# --------------------------------------------------------------------------
# Cluster directory handling
# --------------------------------------------------------------------------


class Cluster:
    """Paths and operations for one throwaway cluster rooted at ``base``."""

    def __init__(self, base: Path, bindir: Path | None) -> None:
        self.base = base
        self.bindir = bindir
        self.data = base / "data"
        self.logfile = base / "log"
        self.portfile = base / "port"

    def bin(self, name: str) -> str:
        assert self.bindir is not None
        return str(self.bindir / name)

    # ---- directory / ownership ------------------------------------------

    def prepare_base(self) -> None:
        if self.base.is_symlink():
            # /tmp is world-writable; never follow a planted link as root.
            raise PgServerError(f"{self.base} is a symlink; refusing to use it")
        self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        sock = self.base / ".s.PGSQL.65535"
        if len(str(sock)) > MAX_SOCKET_PATH:
            raise PgServerError(
                f"--dir {self.base} is too long for a Unix socket path "
                f"(max {MAX_SOCKET_PATH} bytes incl. socket name); use a shorter one"
            )
        if is_root():
            self._chown_tree()

    def _chown_tree(self) -> None:
        entry = pwd.getpwnam(SYSTEM_USER)
        uid, gid = entry.pw_uid, entry.pw_gid
        # Files we write as root (port, .lock) and leftovers from an earlier
        # run under another owner must be accessible to the server user.
        for root, dirs, files in os.walk(self.base):
            for name in [*dirs, *files]:
                path = os.path.join(root, name)
                st = os.lstat(path)
                if (st.st_uid, st.st_gid) != (uid, gid):
                    os.lchown(path, uid, gid)
        st = os.stat(self.base)
        if (st.st_uid, st.st_gid) != (uid, gid):
            os.chown(self.base, uid, gid)
        self.base.chmod(0o700)

    def chown_file(self, path: Path) -> None:
        if is_root() and path.exists():
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise concurrent invocations (e.g. `make -j`) on the same DIR."""
        lockfile = self.base / ".lock"
        with lockfile.open("a") as fh:
            self.chown_file(lockfile)
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # ---- state ------------------------------------------------------------

    def read_port(self) -> int | None:
        try:
            port = int(self.portfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return port if 0 < port < 65536 else None

    def write_port(self, port: int) -> None:
        self.portfile.write_text(f"{port}\n")
        self.chown_file(self.portfile)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def data_version(self) -> str | None:
        try:
            return (self.data / "PG_VERSION").read_text().strip()
        except OSError:
            return None

    def server_version(self) -> str:
        out = run([self.bin("postgres"), "--version"], capture=True).stdout
        match = re.search(r"(\d+)(?:\.(\d+))?", out)
        if not match:
            raise PgServerError(f"cannot parse postgres version from {out!r}")
        major = int(match.group(1))
        # Before 10 the "major" version had two components (9.6).
        return str(major) if major >= 10 else f"{major}.{match.group(2)}"

    def is_running(self) -> bool:
        """True if pg_ctl sees a live postmaster for our data directory."""
        if self.bindir is None or not self.data.is_dir():
            return False
        result = run(
            [self.bin("pg_ctl"), "status", "-D", str(self.data)],
            as_server_user=True,
            cwd=self.base,
            capture=True,
            check=False,
        )
        return result.returncode == 0

    def is_ready(self, port: int) -> bool:
        pg_isready = self.bindir / "pg_isready" if self.bindir else None
        if pg_isready is not None and os.access(pg_isready, os.X_OK):
            result = run(
                [
                    str(pg_isready),
                    "-q",
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "-U",
                    PG_USER,
                    "-d",
                    "postgres",
                    "-t",
                    "2",
                ],
                capture=True,
                check=False,
            )
            return result.returncode == 0
        # Fallback only proves the port is open, which is close enough once
        # pg_ctl -w has already confirmed startup.
        try:
            with socket.create_connection((HOST, port), timeout=2):
                return True
        except OSError:
            return False

    def wait_ready(self, port: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.is_ready(port):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # ---- actions ----------------------------------------------------------

    def initdb(self) -> None:
        if self.data.exists():
            # Leftover from a failed initdb or another major version; it is a
            # throwaway cluster, so start over rather than try to repair it.
            log(f"removing unusable data directory {self.data}")
            shutil.rmtree(self.data)
        log(f"initialising cluster in {self.data}")
        run(
            [
                self.bin("initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                PG_USER,
                "--encoding=UTF8",
                "--locale=C",
            ],
            as_server_user=True,
            cwd=self.base,
            capture=True,
        )

    def start(self, port: int) -> None:
        options = [
            "-h",
            HOST,
            "-p",
            str(port),
            "-k",
            str(self.base),
            # Durability is pointless for a throwaway test database and fsync
            # dominates test runtime, so trade crash safety for speed.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]
        # pg_ctl hands -o to /bin/sh, hence shell quoting (paths with spaces).
        run(
            [
                self.bin("pg_ctl"),
                "start",
                "-D",
                str(self.data),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.logfile),
                "-o",
                shlex.join(options),
            ],
            as_server_user=True,
            cwd=self.base,
        )

    def stop(self, mode: str = "fast") -> None:
        run(
            [
                self.bin("pg_ctl"),
                "stop",
                "-D",
                str(self.data),
                "-m",
                mode,
                "-w",
                "-t",
                "60",
            ],
            as_server_user=True,
            cwd=self.base,
        )

    def ensure_database(self, port: int) -> None:
        conn = ["-h", HOST, "-p", str(port), "-U", PG_USER, "-w"]
        exists = run(
            [
                self.bin("psql"),
                *conn,
                "-d",
                "postgres",
                "-X",
                "-tAq",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'",
            ],
            capture=True,
        ).stdout.strip()
        if exists != "1":
            log(f"creating database {PG_DATABASE}")
            run([self.bin("createdb"), *conn, "-O", PG_USER, PG_DATABASE], capture=True)


def free_port() -> int:
    """Ask the kernel for an unused loopback port.

    There is a small window before postgres binds it; start() retries on a
    bind failure to cover that race.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def reuse_running(cluster: Cluster) -> int | None:
    """Return the port of a healthy server from an earlier start, else None.

    A postmaster that runs but does not answer on the recorded port (port
    file lost, server wedged) is stopped so a clean start can follow.
    """
    if not cluster.is_running():
        return None
    port = cluster.read_port()
    if port is not None and cluster.wait_ready(port, timeout=10):
        return port
    log("a server is running in this directory but not answering; restarting it")
    try:
        cluster.stop("fast")
    except PgServerError:
        cluster.stop("immediate")
    return None


def cmd_start(base: Path) -> int:
    bindir = require_bindir(allow_install=True)
    ensure_system_user()
    cluster = Cluster(base, bindir)
    cluster.prepare_base()
    with cluster.locked():
        port = reuse_running(cluster)
        if port is not None:
            log(f"reusing running server on port {port} ({cluster.base})")
        else:
            if not cluster.initialized() or cluster.data_version() != cluster.server_version():
                cluster.initdb()
            port = start_on_free_port(cluster)
            cluster.write_port(port)
            if not cluster.wait_ready(port, READY_TIMEOUT):
                raise PgServerError(
                    f"server on port {port} did not accept connections within {READY_TIMEOUT:.0f}s",
                    show_log=True,
                )
            log(f"server started on port {port} using {bindir} ({cluster.base})")
        cluster.ensure_database(port)
    print(database_url(port), flush=True)
    return 0


def start_on_free_port(cluster: Cluster, attempts: int = 3) -> int:
    for attempt in range(1, attempts + 1):
        port = free_port()
        log_size = cluster.logfile.stat().st_size if cluster.logfile.exists() else 0
        try:
            cluster.start(port)
            return port
        except PgServerError as exc:
            # Only retry when someone grabbed the port between probe and bind.
            new_log = ""
            with (
                contextlib.suppress(OSError),
                cluster.logfile.open(errors="replace") as fh,
            ):
                fh.seek(log_size)
                new_log = fh.read()
            if attempt < attempts and "could not bind" in new_log and not cluster.is_running():
                log(f"port {port} was taken meanwhile; retrying with another port")
                continue
            raise PgServerError(
                f"PostgreSQL server failed to start on {HOST}:{port} (see the server "
                f"log above; the failing command was: {exc})",
                show_log=True,
            ) from exc
    raise AssertionError("unreachable")


def cmd_stop(base: Path) -> int:
    bindir = find_bindir()
    cluster = Cluster(base, bindir)
    if bindir is None or not cluster.data.is_dir():
        log(f"no server to stop in {base}")
        return 0
    with cluster.locked():
        if not cluster.is_running():
            log(f"no server running in {base}")
        else:
            cluster.stop("fast")
            log(f"server in {base} stopped")
        # The port is meaningless once stopped; `url` must not report it.
        with contextlib.suppress(FileNotFoundError):
            cluster.portfile.unlink()
    return 0


def cmd_url(base: Path) -> int:
    cluster = Cluster(base, find_bindir())
    port = cluster.read_port()
    if port is None or not cluster.is_running() or not cluster.is_ready(port):
        log(f"no running server in {base}; run `python tools/pgserver.py start` first")
        return 1
    print(database_url(port), flush=True)
    return 0


def fail(message: str, cluster_log: str = "") -> NoReturn:
    if cluster_log:
        print(
            f"pgserver: --- last lines of server log ---\n{cluster_log}\npgserver: --- end of server log ---",
            file=sys.stderr,
        )
    log(f"error: {message}")
    sys.exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a throwaway PostgreSQL server on 127.0.0.1 for tests.")
    parser.add_argument("command", choices=("start", "stop", "url"))
    parser.add_argument(
        "--dir",
        type=Path,
        default=default_dir(),
        help="cluster directory (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    base: Path = args.dir.absolute()
    commands = {"start": cmd_start, "stop": cmd_stop, "url": cmd_url}
    try:
        return commands[args.command](base)
    except PgServerError as exc:
        if not exc.show_log:
            fail(str(exc))
        quoted = shlex.quote(str(base))
        hint = (
            f"See {shlex.quote(str(base / 'log'))} for the full server log. For a "
            f"clean slate: `python tools/pgserver.py stop --dir {quoted}` then "
            f"`rm -rf {quoted}`."
        )
        fail(f"{exc}\n{hint}", Cluster(base, None).log_tail())
    except KeyboardInterrupt:
        fail("interrupted")


if __name__ == "__main__":
    sys.exit(main())
