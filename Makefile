# Rookery: `make run` starts the service, `make test` runs every check and test.
# Both install what they need into .venv/ first (Python 3.11+ and make are all you need).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_WORKERS ?= auto

.PHONY: install install-dev run test lint bench bench-serve chaos fuzz clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The runtime set only (requirements.lock): what `make run` needs.
install: $(STAMP)

# Development and test tools on top (requirements-dev.lock): what `make test` adds.
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $(DEV_STAMP)

install-dev: $(DEV_STAMP)

# Starts Rookery on SQLite (./rookery.db) with the example webhooks; prints the admin password.
ADMIN_PASSWORD ?= rookery-admin-password
run: install
	@echo "Rookery: sign in as user 'admin' with password '$(ADMIN_PASSWORD)'"
	ROOKERY_WEBHOOKS_CONFIG_PATH=$${ROOKERY_WEBHOOKS_CONFIG_PATH:-examples/webhooks.yml} \
	ROOKERY_ADMIN_PASSWORD='$(ADMIN_PASSWORD)' \
	$(BIN)/rookery serve

lint: install-dev
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy -p rookery -p tests -p bench
	$(BIN)/lint-imports

# The whole suite: lint, types, import boundaries, then every test (SQLite, and PostgreSQL
# too when ROOKERY_TEST_DATABASE_URL is set).
test: lint
	scripts/ensure-chromium  # the console's browser tests drive Debian's chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) --timeout 300

bench: install-dev
	$(BIN)/python -m bench.run

# Issue 12's load shape against `rookery serve`, and its targets met or missed:
# make bench-serve DB=sqlite PAIRS=3 PROCESSES=1
bench-serve: install-dev
	$(BIN)/python -m bench.serve_load --db $${DB:-postgresql} --pairs $${PAIRS:-1} \
		$${PROCESSES:+--processes $$PROCESSES}

# Fault injection at the issue's full sizes (CI runs bounded sizes of the same tests).
chaos: install-dev
	ROOKERY_CHAOS_FULL=1 ROOKERY_TEST_DATABASE_URL=$${ROOKERY_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	$(BIN)/pytest -s -n 0 --timeout 3600 -k "sigkill or two_workers or outage or hanging" \
		tests/acceptance tests/integration/test_database_outage.py

# schemathesis with ten times CI's examples, as an administrator and as a plain user.
fuzz: install-dev
	ROOKERY_FUZZ_EXAMPLES=100 $(BIN)/pytest -s -n 2 --timeout 3600 tests/acceptance/test_fuzz_api.py

clean:
	rm -rf $(VENV) rookery.db rookery.db-shm rookery.db-wal
