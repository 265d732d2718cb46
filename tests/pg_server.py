"""A throwaway PostgreSQL server for the tests and the benchmark: initdb, start, stop.

Debian's `postgresql` package provides the binaries (the Makefile installs it when missing);
they live under /usr/lib/postgresql/<version>/bin. The cluster goes into a temporary directory,
listens on a free loopback port only, runs without fsync (it is thrown away), and is stopped and
deleted by `stop()`. PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` user the package creates.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["PostgresNotFound", "TempPostgres", "find_bindir", "running_postgres"]


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The directory of initdb/pg_ctl (the newest installed version)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresNotFound(
        "PostgreSQL is not installed: `make test` installs it (apt-get install postgresql) when "
        "run as root; otherwise run `sudo apt-get install -y postgresql`"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempPostgres:
    """One throwaway cluster; `url` is a superuser URL with a password, on 127.0.0.1."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="faqbot-pg-"))
        self.data = self.root / "data"
        self.password = secrets.token_hex(12)
        self.port = 0
        self._owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresNotFound(
                    "running as root needs the `postgres` user (the postgresql package adds it)"
                ) from None
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self.root.chmod(0o700)

    @property
    def url(self) -> str:
        """The superuser's URL to the `postgres` database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """The superuser's URL to one database."""
        return f"postgresql://faq:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self._owner is not None:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(
            argv, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
        )

    def start(self) -> TempPostgres:
        """initdb and start on a free loopback port; raise with the server's log on failure."""
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._owner is not None:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "faq",
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        last: subprocess.CalledProcessError | None = None
        for _ in range(3):  # another process may take the free port first
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-o",
                    options,
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return self
            except subprocess.CalledProcessError as exc:
                last = exc
        raise RuntimeError(f"PostgreSQL did not start: {last}\n{self.log_text()}")

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.root / "server.log"

    def log_text(self) -> str:
        """The server's log (for failure messages)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (if running) without deleting it."""
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Start again on the same port (after `stop`)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def destroy(self) -> None:
        """Stop the server and delete its directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name made by the caller
        return self.url_for(name)


@contextlib.contextmanager
def running_postgres() -> Iterator[TempPostgres]:
    """A started throwaway server, stopped and deleted on exit whatever happens."""
    server = TempPostgres()
    try:
        yield server.start()
    finally:
        server.destroy()
