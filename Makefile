# conflict-kg: `make run` and `make test` are all a fresh machine needs (Python 3.11+ and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= output

.PHONY: install run test lint format bench clean help e2e

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Reinstalls only when pyproject.toml changes, so repeated runs are fast.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("conflict-kg needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev tools

run: $(STAMP)  ## run the pipeline on examples/ and say where the outputs are
	$(BIN)/ckg run examples --out $(OUT)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check etl tests bench
	$(BIN)/ruff format --check etl tests bench
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix etl tests bench
	$(BIN)/ruff format etl

test: lint  ## lint, then the test suite
	$(BIN)/python -m pytest -q

e2e: $(STAMP)  ## install Debian chromium + chromium-driver, then the browser tests
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update && apt-get install -y chromium chromium-driver)
	$(BIN)/python -m pytest -m e2e -q

bench: $(STAMP)  ## benchmarks; writes bench/RESULTS.md
	$(BIN)/python bench/run.py

clean:  ## remove generated outputs (keeps .venv)
	rm -rf $(OUT)/graph.* $(OUT)/validation.ttl $(OUT)/report.html $(OUT)/run.json $(OUT)/store dist build
