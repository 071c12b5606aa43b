# credgraph: `make run` serves the API on the embedded graph backend, `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types pytest bench clean-data

# (Re)install only when the project's dependencies changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/credgraph serve --demo-if-empty

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint types pytest

# Benchmarks (minutes, not part of make test); BENCH_ARGS="--entities 10000" for a quick run.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)


clean-data:
	-$(BIN)/credgraph db stop
	rm -rf data
