# credgraph: `make run` serves the API on the embedded graph backend, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CONSOLE := console/dist/console.js
# graphql-http's audit suite for tests/test_conformance.py, from the npm registry like the console.
CONFORMANCE := tests/conformance/node_modules/.package-lock.json
# Browser tests drive Debian's Chromium (never a downloaded one); CJK fonts render our names.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The local Neo4j (CREDGRAPH_BACKEND=neo4j, and the suite's second backend): Neo4j Community from
# Maven Central and a launcher, built by the Maven project in backend/neo4j-launcher (jars cached
# in ~/.m2). Needs Java 17+ and Maven; the embedded ArcadeDB default needs neither.
NEO4J := backend/neo4j-launcher/target/credgraph-neo4j.jar
# Schema change safety (tools/schema-check/README.md): graphql-inspector and graphql-schema-linter.
SCHEMA_CHECK := tools/schema-check/node_modules/.package-lock.json
# The benchmark's peer: @neo4j/graphql on Apollo Server, and autocannon, from the npm registry.
PEER := bench/neo4j-graphql/node_modules/.package-lock.json

.PHONY: run test lint types schema-check schema-release pytest bench profile clean-data console browser fonts neo4j redis

# (Re)install only when the project's dependencies changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The investigator console: npm packages from the lock file, bundled by esbuild.
$(CONSOLE): console/package.json console/package-lock.json console/vendor.mjs console/documents.mjs $(wildcard console/src/*)
	cd console && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

console: $(CONSOLE)

$(SCHEMA_CHECK): tools/schema-check/package.json tools/schema-check/package-lock.json
	cd tools/schema-check && npm ci --no-audit --no-fund --loglevel=error

$(CONFORMANCE): tests/conformance/package.json tests/conformance/package-lock.json
	cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error

$(NEO4J): backend/neo4j-launcher/pom.xml $(wildcard backend/neo4j-launcher/src/main/java/credgraph/*.java)
	@command -v java >/dev/null || { echo "make neo4j: the local Neo4j needs Java 17 or newer, and java is not on the PATH" >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "make neo4j: Maven fetches Neo4j from Maven Central, and mvn is not on the PATH" >&2; exit 1; }
	@cd backend/neo4j-launcher && mvn -q -B package || { echo "make neo4j: Maven could not fetch or build Neo4j Community (see its output above)" >&2; exit 1; }
	@touch $@

neo4j: $(NEO4J)

$(PEER): bench/neo4j-graphql/package.json bench/neo4j-graphql/package-lock.json
	cd bench/neo4j-graphql && npm ci --no-audit --no-fund --loglevel=error

browser:
	@if ! test -x /usr/bin/chromium || ! fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk'; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			chromium chromium-driver fonts-wqy-zenhei >/dev/null; \
	fi

# Debian's Redis server: the suite starts its own (state shared across workers, tests/test_shared_state.py)
# and so does the load benchmark; production points CREDGRAPH_REDIS_URL at its own.
redis:
	@if ! command -v redis-server >/dev/null && ! test -x /usr/bin/redis-server; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			redis-server >/dev/null; \
	fi

# The CJK font PDF reports are set in (/reports/<id>.pdf); without it the rest still runs.
fonts:
	@if ! test -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc; then \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			fonts-wqy-zenhei >/dev/null; } || \
		echo "make run: could not install fonts-wqy-zenhei; PDF reports will be refused until a CJK font is installed" >&2; \
	fi

run: $(STAMP) $(CONSOLE) fonts $(if $(filter neo4j,$(CREDGRAPH_BACKEND)),$(NEO4J))
	$(BIN)/credgraph serve --demo-if-empty

# Python by ruff; the console by eslint and prettier (from its npm lock file).
lint: $(STAMP) $(CONSOLE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd console && npm run --silent lint

types: $(STAMP)
	$(BIN)/mypy

# The whole suite on both backends: the embedded ArcadeDB, then a local Neo4j.
pytest: $(STAMP) $(CONSOLE) $(CONFORMANCE) $(SCHEMA_CHECK) browser redis $(NEO4J)
	$(BIN)/pytest --backend arcadedb
	$(BIN)/pytest --backend neo4j

# The SDL the code exports against the committed one, the committed one against what clients were
# last promised (api/schema.released.graphql): a breaking change fails; then the schema's lint.
schema-check: $(STAMP) $(SCHEMA_CHECK)
	@exported=$$(mktemp --suffix=.graphql) && $(BIN)/credgraph schema > $$exported && cd tools/schema-check && \
	{ npx --no-install graphql-inspector diff ../../api/schema.graphql $$exported || \
	  { echo "schema-check: the code's schema breaks the committed api/schema.graphql (above); run credgraph schema --write" >&2; exit 1; }; } && \
	{ npx --no-install graphql-inspector diff ../../api/schema.released.graphql ../../api/schema.graphql || \
	  { echo "schema-check: api/schema.graphql breaks what clients were promised (above); if that is meant, make schema-release and say so in the change" >&2; exit 1; }; } && \
	npx --no-install graphql-schema-linter ../../api/schema.graphql; \
	status=$$?; rm -f $$exported; exit $$status

# A deliberate change of the contract: the committed schema becomes what clients are promised.
schema-release:
	cp api/schema.graphql api/schema.released.graphql

test: lint types schema-check pytest

# Benchmarks on both backends (hours, not part of make test); BENCH_ARGS="--entities 10000" for a
# quick run, BENCH_ARGS="--backend arcadedb" for the embedded backend only.
bench: $(STAMP) $(PEER) redis $(if $(findstring arcadedb,$(BENCH_ARGS)),,$(NEO4J))
	$(BIN)/python -m bench $(BENCH_ARGS)

# Where the API's CPU goes for one of the peer benchmark's queries, sampled by py-spy under 32
# clients (minutes); PROFILE_ARGS="--query nested --backend neo4j" for another.
profile: $(STAMP) $(PEER) $(if $(findstring neo4j,$(PROFILE_ARGS)),$(NEO4J))
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

clean-data:
	-$(BIN)/credgraph db stop
	rm -rf data
