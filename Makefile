# The one gate: `make check` runs every check CI runs, each also on its own.
# The tools come from the virtual environment the README sets up; `VENV=…` names another.
# PYTHONPATH puts this checkout's code first, whatever cstui the environment has installed.

VENV ?= .venv
BIN := $(VENV)/bin
export PYTHONPATH := $(CURDIR)/src

.PHONY: check lint format-check types contracts test

check: lint format-check types contracts test

lint:
	$(BIN)/ruff check src tests

format-check:
	$(BIN)/ruff format --check src tests

types:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

# pytest exits 5 when it ran no test: that fails the gate like any other failure.
# loadgroup: as load, but the tests of one xdist_group (one costly deployment) stay together.
test:
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadgroup
