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

.PHONY: run test lint types pytest bench clean-data console browser

# (Re)install only when the project's dependencies changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The investigator console: npm packages from the lock file, bundled by esbuild.
$(CONSOLE): console/package.json console/package-lock.json $(wildcard console/src/*)
	cd console && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

console: $(CONSOLE)

$(CONFORMANCE): tests/conformance/package.json tests/conformance/package-lock.json
	cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error

browser:
	@if ! test -x /usr/bin/chromium || ! fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk'; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			chromium chromium-driver fonts-wqy-zenhei >/dev/null; \
	fi

run: $(STAMP) $(CONSOLE)
	$(BIN)/credgraph serve --demo-if-empty

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(CONSOLE) $(CONFORMANCE) browser
	$(BIN)/pytest

test: lint types pytest

# Benchmarks (minutes, not part of make test); BENCH_ARGS="--entities 10000" for a quick run.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)


clean-data:
	-$(BIN)/credgraph db stop
	rm -rf data
