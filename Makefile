# Two commands on a fresh machine with Python 3.11, pip and make:
#   make demo   set up and run the main job (a demo database, reports rendered)
#   make test   set up and run the whole test suite, on SQLite and PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Workspace members installed into .venv: every shipped distribution (never listed by hand).
# The test plugins under tests/plugins/ are not installed anywhere: the suite makes them
# discoverable for itself (conftest.py), so the demo and a user's `patron plugins list`
# show only what ships.
MEMBERS := $(patsubst %/pyproject.toml,%,$(wildcard core/pyproject.toml sdk/pyproject.toml plugins/*/pyproject.toml))
TEST_PLUGINS := $(patsubst %/pyproject.toml,%,$(wildcard tests/plugins/*/pyproject.toml))
DEMO_DIR ?= patron-demo
# Extra arguments for tools/pgserver.py, e.g. PGSERVER_ARGS="--dir /tmp/other" for a second server.
PGSERVER_ARGS ?=

# What mypy --strict checks: the core, the SDK and every shipped plugin's package.
TYPED := core/patron sdk/patron_sdk $(filter-out %.egg-info,$(wildcard plugins/*/patron_*))

.PHONY: setup demo test test-fast test-sqlite typecheck bench lint docs clean

setup: $(VENV)/.installed

# Quiet unless it fails: pip's output goes to $(VENV)/setup.log, shown only when a step fails.
$(VENV)/.installed: requirements-dev.txt $(addsuffix /pyproject.toml,$(MEMBERS))
	@echo "Setting up $(VENV) (a minute or two the first time; log: $(VENV)/setup.log)"
	@$(PYTHON) -m venv $(VENV)
	@: > $(VENV)/setup.log
	@$(BIN)/python -m pip install --upgrade pip >> $(VENV)/setup.log 2>&1 \
		&& $(BIN)/python -m pip install $(addprefix -e ./,$(MEMBERS)) -r requirements-dev.txt >> $(VENV)/setup.log 2>&1 \
		|| { cat $(VENV)/setup.log >&2; echo "Setting up $(VENV) failed; the log is above and in $(VENV)/setup.log" >&2; exit 1; }
	@# A .venv made before the test plugins left it still has them installed: remove them.
	@$(BIN)/python -m pip uninstall --yes $(foreach p,$(TEST_PLUGINS),patron-$(notdir $(p))) >> $(VENV)/setup.log 2>&1 || true
	@touch $@

# DEMO_DIR may be relative (to here) or absolute; `patron demo --force` replaces only an
# earlier demo's own files there, never anything else.
demo: setup
	@$(BIN)/patron demo "$(DEMO_DIR)" --force

# The suite runs on SQLite and on a real PostgreSQL server started on loopback by
# tools/pgserver.py (installed from Debian's packages when missing).
test: setup typecheck
	@url=$$($(BIN)/python tools/pgserver.py start $(PGSERVER_ARGS)) || { echo "PostgreSQL could not be started; see above" >&2; exit 1; }; \
	$(BIN)/python tools/ensure_chromium.py && PATRON_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	$(BIN)/python tools/pgserver.py stop $(PGSERVER_ARGS); exit $$rc

# mypy --strict over the core, the SDK and the shipped plugins (part of `make test`).
typecheck: setup
	@$(BIN)/mypy --strict $(TYPED)

# SQLite only, for a quick local loop.
test-sqlite: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quickest local loop: SQLite only, without the tests marked slow.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The benchmarks' own baselines (lifetimes for CLV) come from bench/requirements.txt, installed here
# only: neither Patron nor its tests need them.
bench: setup
	@$(BIN)/python -m pip install -q -r bench/requirements.txt >> $(VENV)/setup.log 2>&1 \
		|| { echo "Installing bench/requirements.txt failed; see $(VENV)/setup.log" >&2; exit 1; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

docs: setup
	$(BIN)/python -m patron.docgen docs/hooks.md

clean:
	rm -rf $(VENV) $(DEMO_DIR)
