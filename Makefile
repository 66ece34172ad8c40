# Escalator: `make dev` runs the whole stack, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint histories bench clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m entrypoints.devstack

# The UI screenshot test needs a browser: install Debian's Chromium when apt-get is there (best effort).
chromium:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || \
		echo "Chromium could not be installed: the UI screenshot test will be skipped"

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

histories: $(STAMP)
	$(BIN)/python -m tests.histories.record
	$(BIN)/python -m tests.histories.record_time_skipping

bench: $(STAMP)
	$(BIN)/python bench/tickets.py --size 200

clean:
	rm -rf $(VENV) .data

# Fault scenarios (tests/faults, RELIABILITY.md): each starts its own stack, breaks a piece, checks nothing is lost.
.PHONY: faults
faults: $(STAMP)
	RUN_FAULTS=1 $(BIN)/python -m pytest tests/faults -p no:cacheprovider -v

# Breach storm (bench/breach_storm.py) in both dev-server modes, and the memory per cached ticket
# (bench/open_tickets.py, no breaching tickets). Full size: STORM_SIZE=10000 STORM=2000 MEMORY_SIZE=10000.
.PHONY: bench-storm bench-memory
STORM_SIZE ?= 2000
STORM ?= 500
MEMORY_SIZE ?= 1000
bench-storm: $(STAMP)
	$(BIN)/python bench/breach_storm.py --size $(STORM_SIZE) --storm $(STORM) --server memory
	$(BIN)/python bench/breach_storm.py --size $(STORM_SIZE) --storm $(STORM) --server sqlite

bench-memory: $(STAMP)
	$(BIN)/python bench/open_tickets.py --size $(MEMORY_SIZE) --breaching 0
