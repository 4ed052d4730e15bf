# Set-up is part of every target: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE_OUT ?= out/example

.PHONY: run test check typecheck goldens bench bench-instructions bench-profile clean

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
	$(BIN)/ruff format --check reconcile tests
	$(BIN)/mypy
	$(BIN)/pytest

## The inner loop (under 30 s): lint, types, and every test that starts no process,
## with 10 generated examples a property instead of 40.
check: $(STAMP)
	$(BIN)/ruff check reconcile tests
	$(BIN)/ruff format --check reconcile tests
	$(BIN)/mypy
	HYPOTHESIS_PROFILE=quick $(BIN)/pytest -q -m "not subprocess" -n 2

typecheck: $(STAMP)
	$(BIN)/mypy

## Regenerate every golden output and transcript after an intended change (review with git diff).
goldens: $(STAMP)
	$(BIN)/python -m tests.goldens

# The benchmark's own environment: the job as a user installs it, with DuckDB beside it and
# none of the test tools (Pandera imports Hypothesis wherever it is installed: 0.1 s a run).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

## Benchmark against the I/O floor and a DuckDB peer (takes several minutes).
bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench.run

## Count the instructions of the floor and the job under valgrind (repeatable; 25 minutes).
bench-instructions: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench.instructions

## Where the CPU goes, the job beside the floor, under perf (three runs of each; 1 minute).
bench-profile: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench.profile

clean:
	rm -rf $(VENV) $(BENCH_VENV) out bench-data .pytest_cache .mypy_cache .hypothesis
