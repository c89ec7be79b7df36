# deskterm: `make demo` opens a seeded demo desk, `make test` runs every check CI runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= $(CURDIR)/demo-desk
DEMO_TICKETS ?= 20000

.PHONY: install demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A throw-away desk in ./demo-desk (or DEMO_DIR=...): seeded once, then opened.
demo: $(STAMP)
	@mkdir -p $(DEMO_DIR)
	@if [ ! -f $(DEMO_DIR)/deskterm.sqlite3 ]; then \
	  DESKTERM_CONFIG_DIR=$(DEMO_DIR) $(BIN)/deskterm --db sqlite:///$(DEMO_DIR)/deskterm.sqlite3 \
	    demo --tickets $(DEMO_TICKETS); fi
	DESKTERM_CONFIG_DIR=$(DEMO_DIR) $(BIN)/deskterm --db sqlite:///$(DEMO_DIR)/deskterm.sqlite3

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python tools/private_imports.py src tests bench

# deskterm's own bytecode is written first: the tests start hundreds of `deskterm` processes, and
# with PYTHONDONTWRITEBYTECODE set (as on some CI machines) each would compile it again.
# Three test processes on two cores: a third of a worker's time is spent waiting on PostgreSQL,
# a pseudo-terminal or a `deskterm` subprocess (3 workers: 6 min 1 s against 6 min 33 s for 2 on
# the 2-core machine; 4 workers: 6 min 28 s against 6 min 16 s for 3, more CPU lost to switching).
# The lint runs beside them, in the CPU they leave idle; either failing fails.
test: $(STAMP)
	$(BIN)/python -m compileall -q src >/dev/null
	@$(MAKE) --no-print-directory lint > .lint.log 2>&1 & lint=$$!; \
	  $(BIN)/pytest -n 3 -q --durations=15; tests=$$?; \
	  wait $$lint; linted=$$?; cat .lint.log; rm -f .lint.log; \
	  [ $$tests -eq 0 ] && [ $$linted -eq 0 ]

# The edit-test loop (a third of `make test`'s time): the unit tests on SQLite only. It leaves out every
# PostgreSQL test, the console's tests (tests/tui: Pilot and pseudo-terminal) and the slowest
# unit files (the 1,050-ticket paging desk, concurrent writers, search bulk loads, the change
# watcher, CLI fuzzing, the demo generator's seeded desks). No lint. `make test` runs
# everything, as CI does.
FAST_SKIP := test_paging test_concurrency test_search_load test_changes test_cli_fuzz test_demo
test-fast: $(STAMP)
	$(BIN)/python -m compileall -q src >/dev/null
	$(BIN)/pytest -n auto -q -m "not postgres" tests/unit $(FAST_SKIP:%=--ignore=tests/unit/%.py)

bench: $(STAMP)
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache .mypy_cache
