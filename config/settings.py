"""Settings, read once from the environment (and an optional ``.env``) and passed down."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.embedded import EmbeddedServer
from backend.local import LocalServer, LocalServerConfig
from backend.local_neo4j import LocalNeo4j
from graph.dialect import Dialect
from graph.driver import GraphConfig
from graph.migrate import MIGRATIONS_DIR
from scoring.scheme import SCHEMES_DIR

# The built investigator console (`make console`: npm ci and esbuild in console/).
CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console" / "dist"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Backend(StrEnum):
    """Which graph server credgraph runs itself when ``NEO4J_URI`` is not set."""

    ARCADEDB = "arcadedb"  # the embedded ArcadeDB from PyPI: nothing else to install
    NEO4J = "neo4j"  # Neo4j Community 5.26 from Maven Central (`make neo4j`)


class Settings(BaseSettings):
    """Every knob credgraph reads; README lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )

    env: Environment = Field(Environment.DEVELOPMENT, validation_alias="CREDGRAPH_ENV")
    host: str = Field("127.0.0.1", validation_alias="CREDGRAPH_HOST")
    port: int = Field(8000, validation_alias="CREDGRAPH_PORT", ge=0, le=65535)
    workers: int = Field(1, validation_alias="CREDGRAPH_WORKERS", ge=1, le=64)

    neo4j_uri: str | None = Field(None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field("neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr = Field(SecretStr(""), validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field("neo4j", validation_alias="NEO4J_DATABASE")
    graph_dialect: Dialect = Field(Dialect.NEO4J, validation_alias="CREDGRAPH_GRAPH_DIALECT")
    arcadedb_http_url: str | None = Field(None, validation_alias="CREDGRAPH_ARCADEDB_HTTP_URL")

    backend: Backend = Field(Backend.ARCADEDB, validation_alias="CREDGRAPH_BACKEND")
    data_dir: Path = Field(Path("data/graph"), validation_alias="CREDGRAPH_DATA_DIR")
    db_bolt_port: int = Field(7687, validation_alias="CREDGRAPH_DB_BOLT_PORT", ge=1, le=65535)
    db_http_port: int = Field(2480, validation_alias="CREDGRAPH_DB_HTTP_PORT", ge=1, le=65535)
    db_password: SecretStr | None = Field(None, validation_alias="CREDGRAPH_DB_PASSWORD")
    db_heap: str = Field("2g", validation_alias="CREDGRAPH_DB_HEAP", pattern=r"^\d+[mMgG]$")
    db_page_cache: str = Field(
        "512m", validation_alias="CREDGRAPH_DB_PAGE_CACHE", pattern=r"^\d+[mMgG]$"
    )

    query_timeout: float = Field(30.0, validation_alias="CREDGRAPH_QUERY_TIMEOUT", gt=0)
    migrations_dir: Path = Field(MIGRATIONS_DIR, validation_alias="CREDGRAPH_MIGRATIONS_DIR")
    migrate_on_start: bool = Field(True, validation_alias="CREDGRAPH_MIGRATE_ON_START")
    schemes_dir: Path = Field(SCHEMES_DIR, validation_alias="CREDGRAPH_SCHEMES_DIR")
    console_dir: Path = Field(CONSOLE_DIR, validation_alias="CREDGRAPH_CONSOLE_DIR")
    # The TrueType font (.ttf or .ttc) a PDF report's Chinese is set in; by default the first of
    # Debian's CJK fonts found (``fonts-wqy-zenhei``, which ``make run`` installs).
    report_font: Path | None = Field(None, validation_alias="CREDGRAPH_REPORT_FONT")
    allow_writes: bool | None = Field(None, validation_alias="CREDGRAPH_ALLOW_WRITES")
    access_log: bool | None = Field(None, validation_alias="CREDGRAPH_ACCESS_LOG")
    request_timeout: float = Field(30.0, validation_alias="CREDGRAPH_REQUEST_TIMEOUT", gt=0)
    # Trusted documents: manifests ({sha256: document}) of the operations clients publish,
    # comma-separated; when set, /graphql runs only those (api/trusted.py).
    trusted_documents: str | None = Field(None, validation_alias="CREDGRAPH_TRUSTED_DOCUMENTS")
    rate_limit: float = Field(600, validation_alias="CREDGRAPH_RATE_LIMIT", gt=0)
    public_rate_limit: float = Field(120, validation_alias="CREDGRAPH_PUBLIC_RATE_LIMIT", gt=0)
    bad_key_limit: float = Field(10, validation_alias="CREDGRAPH_BAD_KEY_LIMIT", gt=0)
    # Cost points a minute (api/cost.py): what a caller's requests may cost together.
    cost_limit: float = Field(200_000, validation_alias="CREDGRAPH_COST_LIMIT", ge=20_000)
    public_cost_limit: float = Field(
        20_000, validation_alias="CREDGRAPH_PUBLIC_COST_LIMIT", ge=20_000
    )
    lookup_misses: int = Field(20, validation_alias="CREDGRAPH_LOOKUP_MISSES", ge=1)
    # Lookups answered by their compiled plan (api/compiled.py); off: graphql-core runs all.
    compiled_lookups: bool = Field(True, validation_alias="CREDGRAPH_COMPILED_LOOKUPS")
    request_statements: int = Field(4, validation_alias="CREDGRAPH_REQUEST_STATEMENTS", ge=1)
    ws_connections: int = Field(5, validation_alias="CREDGRAPH_WS_CONNECTIONS", ge=1)
    ws_subscriptions: int = Field(20, validation_alias="CREDGRAPH_WS_SUBSCRIPTIONS", ge=1)
    audit_key_file: Path | None = Field(None, validation_alias="CREDGRAPH_AUDIT_KEY_FILE")
    checkpoint_entries: int = Field(1000, validation_alias="CREDGRAPH_CHECKPOINT_ENTRIES", ge=1)
    checkpoint_minutes: float = Field(
        60, validation_alias="CREDGRAPH_CHECKPOINT_MINUTES", gt=0, le=10_080
    )
    # A Redis server the workers share (redis://host:6379/0): rate limits, the miss budget,
    # watch events and key revocations hold across workers and hosts. Unset: per process.
    redis_url: str | None = Field(
        None, validation_alias="CREDGRAPH_REDIS_URL", pattern=r"^rediss?://\S+$"
    )
    watch_poll_seconds: float = Field(
        1.0, validation_alias="CREDGRAPH_WATCH_POLL_SECONDS", gt=0, le=60
    )

    @property
    def audit_key_path(self) -> Path:
        """The Ed25519 key that signs audit checkpoints: ``CREDGRAPH_AUDIT_KEY_FILE``, or
        ``audit-signing.key`` beside the embedded server's data folder (outside the database
        either way: whoever can write the database cannot sign)."""
        return self.audit_key_file or self.data_dir.parent / "audit-signing.key"

    @property
    def embedded(self) -> bool:
        """True when credgraph runs its own graph server (no ``NEO4J_URI``): the embedded
        ArcadeDB, or a local Neo4j with ``CREDGRAPH_BACKEND=neo4j``."""
        return not self.neo4j_uri

    @property
    def production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def access_log_on(self) -> bool:
        """uvicorn's per-request log: on in development; production logs at the load balancer."""
        return self.access_log if self.access_log is not None else not self.production

    @property
    def writes_allowed(self) -> bool:
        """Mutations run unless turned off; production keeps them off until told otherwise."""
        return self.allow_writes if self.allow_writes is not None else not self.production

    def embedded_server(self) -> LocalServer:
        """The local server these settings describe (not started): ``CREDGRAPH_BACKEND``'s."""
        config = LocalServerConfig(
            data_dir=self.data_dir,
            bolt_port=self.db_bolt_port,
            http_port=self.db_http_port,
            password=self.db_password.get_secret_value() if self.db_password else None,
            heap=self.db_heap,
            page_cache=self.db_page_cache,
        )
        if self.backend is Backend.NEO4J:
            return LocalNeo4j(config)
        return EmbeddedServer(config)

    def graph_config(self) -> GraphConfig:
        """How to reach the graph: ``NEO4J_URI`` when set, else the embedded server."""
        if self.neo4j_uri:
            return GraphConfig(
                uri=self.neo4j_uri,
                user=self.neo4j_user,
                password=self.neo4j_password.get_secret_value(),
                database=self.neo4j_database,
                dialect=self.graph_dialect,
                http_url=self.arcadedb_http_url,
                query_timeout=self.query_timeout,
                redis_url=self.redis_url,
            )
        server = self.embedded_server()
        arcadedb = isinstance(server, EmbeddedServer)
        return GraphConfig(
            uri=server.bolt_uri,
            user=server.user,
            password=server.password(),
            database=server.database,
            dialect=Dialect.ARCADEDB if arcadedb else Dialect.NEO4J,
            http_url=server.http_url if arcadedb else None,
            query_timeout=self.query_timeout,
            redis_url=self.redis_url,
        )
