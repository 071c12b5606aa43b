"""A graph server credgraph runs itself as a local process (the embedded ArcadeDB, or a local
Neo4j): its data folder, pid file, password, ports, readiness and stopping, shared by both.

Ownership: whoever calls :meth:`LocalServer.start` and gets ``True`` back started the process and
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
from dataclasses import dataclass
from pathlib import Path

from graph.errors import EmbeddedServerError, PortInUseError

_PID_FILE = "server.pid"
_PASSWORD_FILE = "root_password"
_LOG_FILE = "server.log"
START_MARK = "--- credgraph starting"


@dataclass(frozen=True)
class LocalServerConfig:
    """Where a local server keeps its data, which ports it listens on and how it is sized."""

    data_dir: Path
    bolt_port: int = 7687
    http_port: int = 2480
    password: str | None = None
    heap: str = "2g"
    page_cache: str = "512m"  # the local Neo4j's page cache (ArcadeDB caches in its heap)
    start_timeout: float = 120.0
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class ServerStatus:
    """What ``credgraph db status`` reports."""

    backend: str
    running: bool
    pid: int | None
    bolt_uri: str
    http_url: str
    database: str
    user: str
    data_dir: Path
    log_file: Path


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


class LocalServer:
    """Start, reuse, probe and stop one kind of local server for one data folder; a subclass
    says how to run it (``_command``), how to know its process (``_owns``) and when it is
    ready (``is_ready``)."""

    backend = ""  # its name in ``db status`` and ``CREDGRAPH_BACKEND``
    database = ""
    user = ""
    product = ""  # what the log and the errors call it

    def __init__(self, config: LocalServerConfig) -> None:
        self.config = config
        self.data_dir = self._home(config.data_dir.resolve())
        self._process: subprocess.Popen[bytes] | None = None

    def _home(self, data_dir: Path) -> Path:
        """The folder this server keeps its files in, within ``CREDGRAPH_DATA_DIR``."""
        return data_dir

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
        """The password: the configured one, else the one generated at the first start."""
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

    # -- what a subclass says ------------------------------------------------------------------
    def _command(self) -> list[str]:
        """The command line that runs the server (secrets never on it)."""
        raise NotImplementedError

    def _owns(self, cmdline: list[str]) -> bool:
        """Whether a process with this command line is this server on this data folder."""
        raise NotImplementedError

    def _port_args(self) -> set[str]:
        """The arguments a running server's command line has when it uses the configured ports."""
        raise NotImplementedError

    def _ports(self) -> list[tuple[str, int]]:
        """The ports it listens on, with the setting that names each."""
        return [
            ("CREDGRAPH_DB_BOLT_PORT", self.config.bolt_port),
            ("CREDGRAPH_DB_HTTP_PORT", self.config.http_port),
        ]

    def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server answers (its database open, its password set)."""
        raise NotImplementedError

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
        if not self._owns(_cmdline(pid)):
            return None  # the pid was recycled by an unrelated process
        return pid

    def status(self) -> ServerStatus:
        """Whether the server for this data folder runs, and how to reach it."""
        pid = self.running_pid()
        return ServerStatus(
            backend=self.backend,
            running=pid is not None,
            pid=pid,
            bolt_uri=self.bolt_uri,
            http_url=self.http_url,
            database=self.database,
            user=self.user,
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
        for name, port in self._ports():
            if not port_is_free(self.config.host, port):
                raise PortInUseError(
                    f"port {port} ({name}) is already taken by another program; stop it or set "
                    f"{name} to a free port"
                )
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        command = self._command()
        with self.log_file.open("ab") as log:
            log.write(f"\n{START_MARK} {self.product} at {time.ctime()} ---\n".encode())
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
    def _check_reused_ports(self, pid: int) -> None:
        if not self._port_args().issubset(_cmdline(pid)):
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

    def _log_since_start(self) -> str:
        """The log written since the server's last start."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return text.rsplit(START_MARK, 1)[-1]
