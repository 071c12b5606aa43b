"""The embedded graph backend: an ArcadeDB server speaking Bolt, run as its own process.

credgraph starts it when no ``NEO4J_URI`` is configured (and ``CREDGRAPH_BACKEND`` is not
``neo4j``). The server runs from the JRE and jars that ship inside the ``arcadedb-embedded``
wheel, keeps its data in one folder, and records its pid there so that a later command reuses it
instead of starting a second one on the same files (``backend.local`` does the lifecycle).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from backend.local import LocalServer, LocalServerConfig, ServerStatus, port_is_free
from graph.errors import EmbeddedServerError

DATABASE = "credgraph"
USER = "root"
_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"

EmbeddedServerConfig = LocalServerConfig  # the settings are the same for both local servers
__all__ = ["DATABASE", "USER", "EmbeddedServer", "EmbeddedServerConfig", "ServerStatus"]
__all__ += ["arcadedb_home", "port_is_free"]


def arcadedb_home() -> Path:
    """The folder of the installed ``arcadedb_embedded`` package (with ``jre/`` and ``jars/``)."""
    try:
        import arcadedb_embedded
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise EmbeddedServerError(
            "the embedded backend needs the 'arcadedb-embedded' package; reinstall credgraph"
        ) from exc
    return Path(arcadedb_embedded.__file__).resolve().parent


class EmbeddedServer(LocalServer):
    """The ArcadeDB server for one data folder."""

    backend = "arcadedb"
    database = DATABASE
    user = USER
    product = "ArcadeDB"

    def _owns(self, cmdline: list[str]) -> bool:
        return _MAIN_CLASS in cmdline and f"-Darcadedb.server.rootPath={self.data_dir}" in cmdline

    def _port_args(self) -> set[str]:
        return {
            f"-Darcadedb.bolt.port={self.config.bolt_port}",
            f"-Darcadedb.server.httpIncomingPort={self.config.http_port}",
        }

    def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server answers ``/api/v1/ready`` (its databases are open)."""
        try:
            with urllib.request.urlopen(f"{self.http_url}/api/v1/ready", timeout=timeout) as resp:
                return bool(resp.status in (200, 204))
        except (urllib.error.URLError, OSError, ValueError):
            return False

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
