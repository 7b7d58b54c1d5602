"""Throwaway PostgreSQL cluster for tests.

Usage::

    with PostgresCluster() as pg:
        engine = sqlalchemy.create_engine(pg.url)            # database "golive"
        other = sqlalchemy.create_engine(pg.new_database("t1"))  # fresh database

The cluster lives in a temporary folder, listens on 127.0.0.1 on a free port with
trust authentication, and is stopped (``pg_ctl stop -m immediate``) and deleted on
exit.  When the current user is root, ``initdb``/``pg_ctl`` run as the ``postgres``
OS user through ``runuser`` (initdb refuses to run as root).

Binaries are located from ``$GOLIVE_PG_BIN``, else the highest
``/usr/lib/postgresql/<version>/bin``, else ``$PATH``.  Any failure raises
``RuntimeError`` (with the server log tail when there is one); nothing is skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_DB = "golive"
SUPERUSER = "postgres"
OS_USER = "postgres"
_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_pg_bin() -> Path:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    env = os.environ.get("GOLIVE_PG_BIN")
    if env:
        path = Path(env)
        if not (path / "initdb").is_file():
            raise RuntimeError(f"GOLIVE_PG_BIN={env!r} does not contain an initdb binary")
        return path

    candidates = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bindir = Path(initdb).parent
        version = bindir.parent.name
        key = tuple(int(p) for p in version.split(".") if p.isdigit()) or (0,)
        candidates.append((key, bindir))
    if candidates:
        return max(candidates)[1]

    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: set GOLIVE_PG_BIN, install the Debian "
        "'postgresql' package (/usr/lib/postgresql/*/bin), or put initdb/pg_ctl on PATH"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _traversable_by_others(path: Path) -> bool:
    """True if every ancestor of ``path`` can be traversed by an unrelated user."""
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


class PostgresCluster:
    """A private PostgreSQL server for the duration of a ``with`` block.

    Attributes (valid after start): ``host``, ``port``, ``bindir``, ``base_dir``,
    ``data_dir``, ``socket_dir``, ``log_file``, ``url`` (SQLAlchemy URL of the
    ``golive`` database).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        bindir: str | os.PathLike[str] | None = None,
        database: str = DEFAULT_DB,
        start_timeout: int = 60,
    ) -> None:
        self._bindir_arg = Path(bindir) if bindir else None
        self.database = database
        self.start_timeout = start_timeout
        self.bindir: Path | None = None
        self.base_dir: Path | None = None
        self.port: int | None = None
        self._running = False
        self._as_postgres = os.geteuid() == 0

    # -- paths ---------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self._base / "data"

    @property
    def socket_dir(self) -> Path:
        return self._base / "sock"

    @property
    def log_file(self) -> Path:
        return self._base / "postgres.log"

    @property
    def _base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("PostgresCluster is not started")
        return self.base_dir

    # -- URLs ----------------------------------------------------------------------------------
    def url_for(self, dbname: str, driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL for ``dbname`` on this cluster."""
        if self.port is None:
            raise RuntimeError("PostgresCluster is not started")
        return f"{driver}://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str | None = None) -> str:
        """libpq conninfo string (for ``psycopg.connect``)."""
        if self.port is None:
            raise RuntimeError("PostgresCluster is not started")
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={dbname or self.database}"

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    # -- process helpers -----------------------------------------------------------------------
    def _cmd(self, argv: list[str]) -> list[str]:
        if not self._as_postgres:
            return argv
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if os.path.exists(runuser):
            return [runuser, "-u", OS_USER, "--", *argv]
        return ["su", OS_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]

    def _run(self, argv: list[str], what: str, timeout: float) -> None:
        out_path = self._base / f"{Path(argv[0]).name}.out"
        env = dict(os.environ, LC_ALL="C", LANG="C")
        env.pop("PGDATA", None)
        # Output goes to a file, not a pipe: the forked postmaster must not hold our pipe open.
        with open(out_path, "wb") as out:
            try:
                proc = subprocess.run(
                    self._cmd(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self._base,
                    env=env,
                    timeout=timeout,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise RuntimeError(
                    f"{what} failed: {exc}\n--- output ---\n{_tail(out_path)}"
                    f"\n--- server log ---\n{_tail(self.log_file)}"
                ) from exc
        if proc.returncode != 0:
            raise RuntimeError(
                f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n--- output ---\n"
                f"{_tail(out_path)}\n--- server log ---\n{_tail(self.log_file)}"
            )

    def _make_base_dir(self) -> Path:
        tmp = Path(tempfile.gettempdir())
        if self._as_postgres and not _traversable_by_others(tmp):
            tmp = Path("/tmp")
        base = Path(tempfile.mkdtemp(prefix="golive-pg-", dir=tmp))
        if self._as_postgres:
            try:
                pw = pwd.getpwnam(OS_USER)
            except KeyError as exc:
                shutil.rmtree(base, ignore_errors=True)
                raise RuntimeError(
                    f"running as root but there is no {OS_USER!r} OS user to run PostgreSQL as"
                ) from exc
            os.chown(base, pw.pw_uid, pw.pw_gid)
            os.chmod(base, 0o700)
            self._uid, self._gid = pw.pw_uid, pw.pw_gid
        return base

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> PostgresCluster:
        if self._running:
            return self
        self.bindir = self._bindir_arg or find_pg_bin()
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not (self.bindir / tool).is_file():
                raise RuntimeError(f"{tool} not found in {self.bindir}")
        self.base_dir = self._make_base_dir()
        try:
            self.socket_dir.mkdir()
            if self._as_postgres:
                os.chown(self.socket_dir, self._uid, self._gid)
            self._run(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                "initdb",
                timeout=120,
            )
            self._start_server()
            atexit.register(self.stop)
            self.new_database(self.database)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self) -> None:
        last_error: RuntimeError | None = None
        for _attempt in range(3):  # the free port can be stolen between probe and bind
            self.port = free_port(self.host)
            opts = (
                f"-p {self.port} -k {self.socket_dir} -c listen_addresses={self.host} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-o",
                        opts,
                        "-l",
                        str(self.log_file),
                        "-t",
                        str(self.start_timeout),
                        "-w",
                        "start",
                    ],
                    "pg_ctl start",
                    timeout=self.start_timeout + 30,
                )
            except RuntimeError as exc:
                last_error = exc
                self._kill_postmaster()
                continue
            self._running = True
            return
        assert last_error is not None
        raise last_error

    def connect_admin(self, dbname: str = "postgres"):
        """Autocommit psycopg connection as the superuser."""
        import psycopg

        return psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=10)

    def new_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its SQLAlchemy URL."""
        if not _IDENT_RE.match(name):
            raise ValueError(f"invalid database name {name!r} (use [a-z_][a-z0-9_]*)")
        from psycopg import sql

        try:
            with self.connect_admin() as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except Exception as exc:
            if isinstance(exc, ValueError):
                raise
            raise RuntimeError(
                f"could not create database {name!r}: {exc}\n--- server log ---\n{_tail(self.log_file)}"
            ) from exc
        return self.url_for(name)

    def _kill_postmaster(self) -> None:
        pidfile = self.data_dir / "postmaster.pid" if self.base_dir else None
        if pidfile is None or not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            except PermissionError:
                break
            time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop the server (immediate mode) and delete the cluster folder. Idempotent."""
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if self.base_dir is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists() and self.bindir is not None:
                try:
                    self._run(
                        [
                            str(self.bindir / "pg_ctl"),
                            "-D",
                            str(self.data_dir),
                            "-m",
                            "immediate",
                            "-w",
                            "stop",
                        ],
                        "pg_ctl stop",
                        timeout=60,
                    )
                except RuntimeError:
                    self._kill_postmaster()
        finally:
            self._running = False
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
