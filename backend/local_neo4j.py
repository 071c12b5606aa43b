"""A local Neo4j: Neo4j Community 5.26 (LTS) run by credgraph as its own process speaking Bolt.

``credgraph db start --backend neo4j`` (or ``CREDGRAPH_BACKEND=neo4j``) starts it like the
embedded ArcadeDB: its files live in ``CREDGRAPH_DATA_DIR/neo4j``, it listens on
``CREDGRAPH_DB_BOLT_PORT`` (Bolt) and ``CREDGRAPH_DB_HTTP_PORT`` (Neo4j's HTTP API), its user
``neo4j`` gets ``CREDGRAPH_DB_PASSWORD`` (or a generated one) on every start, its heap is
``CREDGRAPH_DB_HEAP`` and its page cache (the store's files in memory) ``CREDGRAPH_DB_PAGE_CACHE``.
Its jars come from Maven Central: ``make neo4j`` builds the small Maven
project in ``backend/neo4j-launcher/`` (Neo4j and a launcher class) into its ``target/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from backend.local import LocalServer
from graph.errors import EmbeddedServerError

DATABASE = "credgraph"
USER = "neo4j"
LAUNCHER_DIR = Path(__file__).resolve().parent / "neo4j-launcher"
_MAIN_CLASS = "credgraph.Neo4jLauncher"
_READY = "credgraph-neo4j ready"


def launcher_jars() -> tuple[Path, Path]:
    """The launcher's jar and the folder of Neo4j's jars, or a one-line error saying how to get
    them."""
    jar = LAUNCHER_DIR / "target" / "credgraph-neo4j.jar"
    lib = LAUNCHER_DIR / "target" / "lib"
    if not jar.is_file() or not lib.is_dir():
        raise EmbeddedServerError(
            "the local Neo4j is not built: run `make neo4j` (it fetches Neo4j Community from "
            "Maven Central and needs Java 17 and Maven)"
        )
    return jar, lib


def mebibytes(size: str) -> int:
    """``512m`` or ``4g`` (as ``-Xmx`` takes them) in MiB."""
    number, unit = int(size[:-1]), size[-1].lower()
    return number * 1024 if unit == "g" else number


def java() -> str:
    """The Java 17+ to run Neo4j with: ``$JAVA_HOME/bin/java``, else ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise EmbeddedServerError("the local Neo4j needs Java 17 or newer: `java` is not found")
    return found


class LocalNeo4j(LocalServer):
    """The Neo4j server for one data folder."""

    backend = "neo4j"
    database = DATABASE
    user = USER
    product = "Neo4j"

    def _home(self, data_dir: Path) -> Path:
        return data_dir / "neo4j"

    def _owns(self, cmdline: list[str]) -> bool:
        return _MAIN_CLASS in cmdline and str(self.data_dir / "db") in cmdline

    def _port_args(self) -> set[str]:
        return {f"--bolt={self.config.bolt_port}", f"--http={self.config.http_port}"}

    def is_ready(self, timeout: float = 2.0) -> bool:
        """True once the launcher said so since the last start (the database is open and the
        password set: Bolt alone listens a moment before that)."""
        return _READY in self._log_since_start()

    def _command(self) -> list[str]:
        jar, lib = launcher_jars()
        secret = self.data_dir / "password"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.password() + "\n")  # read by the launcher, never on its command line
        return [
            java(),
            f"-Xmx{self.config.heap}",
            "-XX:+UseG1GC",
            "-cp",
            f"{jar}:{lib}/*",
            _MAIN_CLASS,
            str(self.data_dir / "db"),
            f"--host={self.config.host}",
            f"--bolt={self.config.bolt_port}",
            f"--http={self.config.http_port}",
            f"--database={DATABASE}",
            f"--password-file={secret}",
            f"--page-cache-mib={mebibytes(self.config.page_cache)}",
        ]
