# Set-up is part of every target: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE_OUT ?= out/example

.PHONY: run test typecheck bench clean

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

typecheck: $(STAMP)
	$(BIN)/mypy

## Benchmark against the I/O floor (takes several minutes).
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) out bench-data .pytest_cache .mypy_cache .hypothesis
