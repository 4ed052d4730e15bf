# Set-up is part of every target: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE_OUT ?= out/example

.PHONY: run test check typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Run the job on the shipped example night into out/example.
run: $(STAMP)
	$(BIN)/reconcile run fixtures/example --out $(EXAMPLE_OUT)

## Install, lint, type-check and run every test.
test: $(STAMP)
	$(BIN)/ruff check reconcile tests
	$(BIN)/mypy
	$(BIN)/pytest

## The inner loop (under 30 s): lint, types, and every test that starts no process,
## with 10 generated examples a property instead of 40.
check: $(STAMP)
	$(BIN)/ruff check reconcile tests
	$(BIN)/mypy
	HYPOTHESIS_PROFILE=quick $(BIN)/pytest -q -m "not subprocess"

typecheck: $(STAMP)
	$(BIN)/mypy

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

## Benchmark against the I/O floor and a DuckDB peer (takes several minutes).
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) out bench-data .pytest_cache .mypy_cache .hypothesis
