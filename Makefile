# conflict-kg: `make run` and `make test` are all a fresh machine needs (Python 3.11+ and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= output

.PHONY: install run test lint format bench bench-quick bench-100k bench-trace bench-load e2e fuzz clean help

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
	$(BIN)/ruff check etl tests bench fuzz
	$(BIN)/ruff format --check etl tests bench fuzz
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

bench-trace: $(STAMP)  ## the 100k run with its memory traced; stop it any time, run again to go on
	@test -f bench/corpus/100000/099/dispatch-099999.txt || \
		$(BIN)/python bench/make_corpus.py bench/corpus/100000 --articles 100000
	$(BIN)/python bench/trace_run.py bench/corpus/100000 bench/out/trace-100000

bench-load: $(STAMP)  ## load test of `ckg serve`; writes bench/LOAD.md
	@test -d $(OUT)/store || $(BIN)/ckg run examples --out $(OUT) --quiet
	$(BIN)/python bench/load.py --store $(OUT)/store

# Debian's Chromium and its driver; the browser tests drive the query page and the report.
e2e: $(STAMP)  ## install headless Chromium (apt) and run the browser tests
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }
	$(BIN)/python -m pytest -q -m e2e

FUZZ_SECONDS ?= 60
FUZZ_WORK    := fuzz/work

# Not part of `make test`: each target runs for FUZZ_SECONDS; crashes land in fuzz/work/.
fuzz: $(STAMP)  ## fuzz ingest and extraction with atheris (FUZZ_SECONDS per target)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[fuzz]'
	@mkdir -p $(FUZZ_WORK)/ingest $(FUZZ_WORK)/extract
	cp examples/*.txt examples/*.md examples/*.html examples/*.jsonl $(FUZZ_WORK)/ingest/
	cp examples/*.txt $(FUZZ_WORK)/extract/
	$(BIN)/python fuzz/fuzz_ingest.py $(FUZZ_WORK)/ingest -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(FUZZ_WORK)/crash-ingest- -rss_limit_mb=3000
	OMP_NUM_THREADS=1 $(BIN)/python fuzz/fuzz_extract.py $(FUZZ_WORK)/extract \
		-max_total_time=$(FUZZ_SECONDS) -max_len=4000 \
		-artifact_prefix=$(FUZZ_WORK)/crash-extract- -rss_limit_mb=4000

clean:  ## remove generated outputs (keeps .venv)
	rm -rf $(OUT)/graph.* $(OUT)/validation.ttl $(OUT)/report.html $(OUT)/run.json $(OUT)/store $(OUT)/manifest.sqlite dist build
