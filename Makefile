# conflict-kg: `make run` and `make test` are all a fresh machine needs (Python 3.11+ and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= output

.PHONY: install run test lint format bench bench-quick bench-100k clean help

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

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

bench: $(STAMP)  ## benchmarks over 1k and 10k synthetic articles; writes bench/RESULTS.md
	$(BIN)/python bench/run.py --small 1000 --large 10000

bench-quick: $(STAMP)  ## the benchmarks over 100 and 1,000 articles
	$(BIN)/python bench/run.py --small 100 --large 1000

bench-100k: $(STAMP)  ## a 100k-article run: time, memory, queries (hours; not for CI)
	$(BIN)/python bench/run.py --only-large --large 100000

clean:  ## remove generated outputs (keeps .venv)
	rm -rf $(OUT)/graph.* $(OUT)/validation.ttl $(OUT)/run.json $(OUT)/store $(OUT)/manifest.sqlite dist build
