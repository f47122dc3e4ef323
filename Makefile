# Two commands on a fresh machine with Python 3.11, pip and make:
#   make demo   set up and run the main job (a demo database, reports rendered)
#   make test   set up and run the whole test suite, on SQLite and PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Workspace members: every folder with a pyproject.toml (never listed by hand).
MEMBERS := $(patsubst %/pyproject.toml,%,$(wildcard core/pyproject.toml sdk/pyproject.toml plugins/*/pyproject.toml tests/plugins/*/pyproject.toml))
DEMO_DIR ?= patron-demo
# Extra arguments for tools/pgserver.py, e.g. PGSERVER_ARGS="--dir /tmp/other" for a second server.
PGSERVER_ARGS ?=

.PHONY: setup demo test test-fast test-sqlite bench lint docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt $(addsuffix /pyproject.toml,$(MEMBERS))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(addprefix -e ./,$(MEMBERS)) -r requirements-dev.txt
	touch $@

demo: setup
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && ../$(BIN)/patron demo .

# The suite runs on SQLite and on a real PostgreSQL server started on loopback by
# tools/pgserver.py (installed from Debian's packages when missing).
test: setup
	@url=$$($(BIN)/python tools/pgserver.py start $(PGSERVER_ARGS)) || { echo "PostgreSQL could not be started; see above" >&2; exit 1; }; \
	$(BIN)/python tools/ensure_chromium.py && PATRON_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	$(BIN)/python tools/pgserver.py stop $(PGSERVER_ARGS); exit $$rc

# SQLite only, for a quick local loop.
test-sqlite: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quickest local loop: SQLite only, without the tests marked slow.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

docs: setup
	$(BIN)/python -m patron.docgen docs/hooks.md

clean:
	rm -rf $(VENV) $(DEMO_DIR)
