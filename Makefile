# Scheda: `make run` serves the demo on SQLite, `make test` runs every check on SQLite and PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
# uv comes from PATH, or is bootstrapped into .tools/ with the machine's Python.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := .venv
SCHEDA := $(VENV)/bin/scheda
HOST ?= 127.0.0.1
PORT ?= 8000
export SCHEDA_DATA_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
BENCH_SIZE ?= S

LOAD_RATE ?= 10

.PHONY: run test lint test-sqlite test-postgresql bench load screenshots install install-dev clean

$(CURDIR)/.tools/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Scheda needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	@$(PYTHON) -m venv .tools || { echo "Cannot create a virtual environment: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
	.tools/bin/pip install --quiet uv

# With bytecode written at install time: where PYTHONDONTWRITEBYTECODE is set, every `scheda`
# command otherwise compiles Django and the rest from source first (docs/DECISIONS.md 33).
install: $(UV)
	$(UV) sync --frozen --no-dev --quiet --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q scheda > /dev/null

install-dev: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m compileall -q scheda > /dev/null

run: install
	$(SCHEDA) migrate --verbosity 0
	$(SCHEDA) demo
	$(SCHEDA) serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(VENV)/bin/ruff check scheda bench conftest.py
	$(VENV)/bin/mypy scheda
	SCHEDA_DATA_DIR=$$(mktemp -d) $(SCHEDA) makemigrations --check --dry-run --verbosity 1

test-sqlite: install-dev
	$(VENV)/bin/pytest -q

# PostgreSQL is required in CI; elsewhere the PostgreSQL run is skipped, saying so, if no server answers.
test-postgresql: install-dev
	@if $(VENV)/bin/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		SCHEDA_DATABASE_URL=$(PG_TEST_URL) $(VENV)/bin/pytest -q; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL at $(PG_TEST_URL) does not answer"; exit 1; \
	else echo "PostgreSQL at $(PG_TEST_URL) does not answer: the PostgreSQL run is skipped"; fi

test: lint test-sqlite test-postgresql

bench: install-dev
	$(VENV)/bin/python bench/run.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/api.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/timeline.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/record_page.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/search.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/index.py --size $(BENCH_SIZE)
	$(VENV)/bin/python bench/sqlite_lock.py

# About ten minutes on its own: data set S, the rate search, then the 5-minute run at the highest
# rate that keeps every kind's p95 under 200 ms with no error (bench/load.py; PERFORMANCE.md "Load").
load: install-dev
	$(VENV)/bin/python bench/load.py --size $(BENCH_SIZE) --find-rate --rate $(LOAD_RATE)

screenshots: install-dev
	$(VENV)/bin/python docs/screenshots/take.py

clean:
	rm -rf $(VENV) .tools var
