"""A throwaway PostgreSQL server for the tests and the benchmarks: `initdb` in a temporary folder, a free port on
127.0.0.1, trust for local connections plus one password user, stopped (and the folder removed) at the end.

PostgreSQL refuses to run as root; as root (CI runs so) the server runs as the `postgres` system user, or `nobody`,
through `runuser`. Nothing here needs the network.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PASSWORD_USER = "bot"
PASSWORD = "s3cret-pw"


def find_bin() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on PATH, or Debian's /usr/lib/postgresql/N/bin (newest)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    bin: Path
    folder: Path
    port: int
    run_as: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def password_url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://{PASSWORD_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            self._cmd("psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql),
            capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        return out.stdout

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}" OWNER {PASSWORD_USER}')  # the password user may use it fully
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"),
            capture_output=True, stdin=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip

    def start(self) -> None:
        data = self.folder / "data"
        log = self.folder / "server.log"
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                      f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"),
            capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=90,
        )  # fmt: skip


def start_server() -> PgServer:
    """A running server (raises RuntimeError, with the server's own words, when it cannot start)."""
    bin_dir = find_bin()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    folder = Path(tempfile.mkdtemp(prefix="alliance-bot-pg-"))
    run_as = None
    if os.geteuid() == 0:  # initdb refuses root
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                run_as = name
                break
        os.chmod(folder, 0o755)
        shutil.chown(folder, user=run_as)
    server = PgServer(bin_dir, folder, free_port(), run_as)
    pwfile = folder / "pw"
    pwfile.write_text("postgres\n")
    if run_as:
        shutil.chown(pwfile, user=run_as)
    try:
        subprocess.run(
            server._cmd("initdb", "-D", str(folder / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                        "--locale=C", "--no-sync"),
            capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        hba = folder / "data" / "pg_hba.conf"
        # the password user must give its password; postgres (the tests' admin) is trusted on 127.0.0.1
        hba.write_text(
            f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\nlocal all all trust\n"
        )
        for attempt in range(5):
            try:
                server.start()
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
                server.port = free_port()
                time.sleep(0.2)
        server.psql(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'")
    except subprocess.CalledProcessError as exc:
        log = folder / "server.log"
        detail = (exc.stderr or "") + (log.read_text(errors="replace")[-2000:] if log.exists() else "")
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from None
    return server


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
