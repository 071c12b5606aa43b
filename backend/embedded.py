"""The embedded graph backend: an ArcadeDB server speaking Bolt, run as its own process.

credgraph starts it when no ``NEO4J_URI`` is configured. The server runs from the JRE and jars
that ship inside the ``arcadedb-embedded`` wheel, keeps its data in one folder, and records its pid
there so that a later command reuses it instead of starting a second one on the same files.

Ownership: whoever calls :meth:`EmbeddedServer.start` and gets ``True`` back started the process and
is expected to stop it (``credgraph serve`` does so at exit); ``credgraph db start`` deliberately
leaves it running until ``credgraph db stop``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from graph.errors import EmbeddedServerError, PortInUseError

DATABASE = "credgraph"
USER = "root"
_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
_PID_FILE = "server.pid"
_PASSWORD_FILE = "root_password"
_LOG_FILE = "server.log"


@dataclass(frozen=True)
class EmbeddedServerConfig:
    """Where the embedded server keeps its data, which ports it listens on and how it is sized."""

    data_dir: Path
    bolt_port: int = 7687
    http_port: int = 2480
    password: str | None = None
    heap: str = "2g"
    start_timeout: float = 120.0
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class ServerStatus:
    """What ``credgraph db status`` reports."""

    running: bool
    pid: int | None
    bolt_uri: str
    http_url: str
    database: str
    user: str
    data_dir: Path
    log_file: Path


def arcadedb_home() -> Path:
    """The folder of the installed ``arcadedb_embedded`` package (with ``jre/`` and ``jars/``)."""
    try:
        import arcadedb_embedded
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise EmbeddedServerError(
            "the embedded backend needs the 'arcadedb-embedded' package; reinstall credgraph"
        ) from exc
    return Path(arcadedb_embedded.__file__).resolve().parent


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (we could bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    return True


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class EmbeddedServer:
    """Start, reuse, probe and stop the ArcadeDB server for one data folder."""

    def __init__(self, config: EmbeddedServerConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self._process: subprocess.Popen[bytes] | None = None

    # -- addresses -------------------------------------------------------------------------
    @property
    def bolt_uri(self) -> str:
        return f"bolt://{self.config.host}:{self.config.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.config.host}:{self.config.http_port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / _LOG_FILE

    @property
    def pid_file(self) -> Path:
        return self.data_dir / _PID_FILE

    # -- credentials -----------------------------------------------------------------------
    def password(self) -> str:
        """The root password: the configured one, else the one generated at the first start."""
        if self.config.password:
            return self.config.password
        path = self.data_dir / _PASSWORD_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        secret = secrets.token_urlsafe(24)
        # O_EXCL: two commands racing on a fresh folder must not write two different secrets.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
        return secret

    # -- state -----------------------------------------------------------------------------
    def _recorded_pid(self) -> int | None:
        try:
            info = json.loads(self.pid_file.read_text())
            return int(info["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def running_pid(self) -> int | None:
        """The pid of a live server started on this data folder, or None."""
        pid = self._recorded_pid()
        if pid is None or not _pid_alive(pid):
            return None
        cmdline = _cmdline(pid)
        if (
            _MAIN_CLASS not in cmdline
            or f"-Darcadedb.server.rootPath={self.data_dir}" not in cmdline
        ):
            return None  # the pid was recycled by an unrelated process
        return pid

    def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server answers ``/api/v1/ready`` (its databases are open)."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/api/v1/ready", timeout=timeout) as resp:
                return bool(resp.status in (200, 204))
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def status(self) -> ServerStatus:
        """Whether the server for this data folder runs, and how to reach it."""
        pid = self.running_pid()
        return ServerStatus(
            running=pid is not None,
            pid=pid,
            bolt_uri=self.bolt_uri,
            http_url=self.http_url,
            database=DATABASE,
            user=USER,
            data_dir=self.data_dir,
            log_file=self.log_file,
        )

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the server, or reuse the one already running on this data folder.

        Returns True when this call started a new process, False when it reused one.
        """
        pid = self.running_pid()
        if pid is not None:
            self._check_reused_ports(pid)
            self._wait_ready(pid)
            return False
        if self._process is not None and self._process.poll() is not None:
            self._process = None  # ours died (killed, crashed): reaped, and started afresh
        for name, port in (
            ("CREDGRAPH_DB_BOLT_PORT", self.config.bolt_port),
            ("CREDGRAPH_DB_HTTP_PORT", self.config.http_port),
        ):
            if not port_is_free(self.config.host, port):
                raise PortInUseError(
                    f"port {port} ({name}) is already taken by another program; stop it or set "
                    f"{name} to a free port"
                )
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        command = self._command()
        with self.log_file.open("ab") as log:
            log.write(f"\n--- credgraph starting ArcadeDB at {time.ctime()} ---\n".encode())
            log.flush()
            # Own session: a Ctrl-C in the terminal reaches us, and we stop the server in order.
            self._process = subprocess.Popen(
                command,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(
            json.dumps(
                {
                    "pid": self._process.pid,
                    "bolt_port": self.config.bolt_port,
                    "http_port": self.config.http_port,
                }
            )
        )
        try:
            self._wait_ready(self._process.pid)
        except BaseException:
            self.stop()
            raise
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the server with SIGTERM (SIGKILL after ``timeout``); True when one was stopped.

        A handle that started the server stops that process only: if it has already ended and
        another server now runs on the folder (``credgraph db start``), that one is left alone.
        """
        own, self._process = self._process, None
        if own is not None:
            if own.poll() is not None:
                self._drop_pid_file(own.pid)
                return False
            pid = own.pid
        else:
            found = self.running_pid()
            if found is None:
                self._drop_pid_file(self._recorded_pid())  # a stale file
                return False
            pid = found
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout, own):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 10.0, own)
        self._drop_pid_file(pid)
        return True

    # -- internals -------------------------------------------------------------------------
    def _command(self) -> list[str]:
        home = arcadedb_home()
        java = home / "jre" / "bin" / "java"
        if not java.exists():
            raise EmbeddedServerError(f"the bundled Java runtime is missing at {java}")
        d = self.data_dir
        return [
            str(java),
            f"-Xmx{self.config.heap}",
            f"-Darcadedb.server.rootPath={d}",
            f"-Darcadedb.server.databaseDirectory={d / 'databases'}",
            # The secret goes through an owner-only argument file, never the visible command line.
            f"@{self._secret_args_file()}",
            f"-Darcadedb.server.httpIncomingHost={self.config.host}",
            f"-Darcadedb.server.httpIncomingPort={self.config.http_port}",
            "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            f"-Darcadedb.bolt.host={self.config.host}",
            f"-Darcadedb.bolt.port={self.config.bolt_port}",
            f"-Darcadedb.server.defaultDatabases={DATABASE}[{USER}]",
            "-cp",
            f"{home / 'jars'}/*",
            _MAIN_CLASS,
        ]

    def _secret_args_file(self) -> Path:
        path = self.data_dir / "secrets.jvmargs"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            # Java argument files treat backslash and quote specially inside a quoted token.
            quoted = self.password().replace("\\", "\\\\").replace('"', '\\"')
            handle.write(f'"-Darcadedb.server.rootPassword={quoted}"\n')
        return path

    def _check_reused_ports(self, pid: int) -> None:
        cmdline = _cmdline(pid)
        wanted = {
            f"-Darcadedb.bolt.port={self.config.bolt_port}",
            f"-Darcadedb.server.httpIncomingPort={self.config.http_port}",
        }
        if not wanted.issubset(cmdline):
            raise EmbeddedServerError(
                f"a server for {self.data_dir} already runs (pid {pid}) on other ports; "
                "run 'credgraph db stop' first or use its ports"
            )

    def _wait_ready(self, pid: int) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedServerError(
                    f"the graph server exited with code {self._process.returncode} while starting; "
                    f"see {self.log_file}: {self._log_tail()}"
                )
            if self._process is None and not _pid_alive(pid):
                raise EmbeddedServerError(f"the graph server (pid {pid}) stopped while starting")
            if self.is_ready(timeout=1.0):
                return
            time.sleep(0.2)
        raise EmbeddedServerError(
            f"the graph server did not become ready within {self.config.start_timeout:.0f}s; "
            f"see {self.log_file}"
        )

    def _wait_exit(
        self, pid: int, timeout: float, own: subprocess.Popen[bytes] | None = None
    ) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if own is not None and own.pid == pid:
                try:
                    own.wait(timeout=0.2)  # reaps our child, so it does not linger as a zombie
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not _pid_alive(pid):
                return True
            time.sleep(0.2)
        return False

    def _drop_pid_file(self, pid: int | None) -> None:
        """Remove the pid file only if it names ``pid``: another server may have replaced it."""
        if pid is not None and self._recorded_pid() == pid:
            with contextlib.suppress(FileNotFoundError):
                self.pid_file.unlink()

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:])
