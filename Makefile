# deskterm: `make demo` opens a seeded demo desk, `make test` runs every check CI runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= $(CURDIR)/demo-desk
DEMO_TICKETS ?= 20000

.PHONY: install demo test lint bench clean

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
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n auto -q

bench: $(STAMP)
	$(BIN)/python bench/seed.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache
