# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
# Knobs (make NAME=value or the environment): PYTHON, PORT, PYTEST_ARGS, TEST_DATABASE_URL;
# `make serve` also reads BIND, WEB_CONCURRENCY, GUNICORN_THREADS (see gunicorn.conf.py).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
FLASK := $(BIN)/flask --app app
PORT ?= 5000
# Every install takes the versions pinned here (`make lock` refreshes them).
CONSTRAINTS := constraints.txt
ENSURE_VENV := sh tools/ensure-venv

.PHONY: run serve test test-postgres lint format worker lock venv clean screenshots bench drills

run: $(VENV)/.installed ## start the development site on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

# A missing, half-made or wrong-Python .venv (say, after the system Python was upgraded)
# makes the install steps run again; they rebuild it first. Checked on every make: cheap.
ifneq ($(shell $(ENSURE_VENV) check "$(PYTHON)" $(VENV)),ok)
.PHONY: $(VENV)/.installed $(VENV)/.installed-test
endif

venv: ## the virtual environment alone (rebuilt when broken), nothing installed
	@$(ENSURE_VENV) make "$(PYTHON)" $(VENV)

# Reinstall only when the dependencies or their pins change.
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	@$(ENSURE_VENV) make "$(PYTHON)" $(VENV)
	$(PIP) install --quiet -c $(CONSTRAINTS) --upgrade pip setuptools
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(CONSTRAINTS)
	@$(ENSURE_VENV) make "$(PYTHON)" $(VENV)
	$(PIP) install --quiet -c $(CONSTRAINTS) --upgrade pip setuptools
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[test,dev]'
	touch $(VENV)/.installed $@

serve: $(VENV)/.installed ## run under gunicorn (production-like)
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

worker: $(VENV)/.installed ## send queued e-mail
	$(FLASK) mail work

test: $(VENV)/.installed-test ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A throw-away database is created on that server (through its `postgres` maintenance
# database) and dropped afterwards; an unreachable server or service fails, never skips.
test-postgres: $(VENV)/.installed-test ## the suite against the local PostgreSQL
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	TEST_REQUIRE_SERVICES=1 \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# The main pages at 320, 390, 768, 1024 and 1440 px (and the organisers' dashboard), in
# Chromium, saved to SHOTS (default screenshots/) to be looked at; the same run checks that
# no page is wider than its window.
SHOTS ?= screenshots
screenshots: $(VENV)/.installed-test ## save screenshots of the main pages at five widths
	BROWSER_SCREENSHOTS="$(SHOTS)" $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/browser/test_look_browser.py -k "fits_its_window or own_header"
	@echo "Screenshots in $(SHOTS)/"

# SPEC 11: the speed budgets as ratios to baselines run in the same series (docs/speed.md).
# BENCH_QUICK=1: about 3 minutes; DEPLOY=1: nginx in front of two app servers.
bench: $(VENV)/.installed
	BENCH_QUICK="$(BENCH_QUICK)" DEPLOY="$(DEPLOY)" $(BIN)/python -m bench.run

# SPEC 12: the fault drills, each failing when something was lost (DRILL_QUICK=1: short
# forms, as CI runs them). On PostgreSQL; each starts its own Redis and SMTP servers.
DRILLS := signups kill smtp redis_down two_servers
DRILL_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
drills: $(VENV)/.installed-test
	@for drill in $(DRILLS); do \
		DRILL_QUICK="$(DRILL_QUICK)" DRILL_DATABASE_URL="$(DRILL_DATABASE_URL)" \
			$(BIN)/python -m bench.drills.$$drill || exit 1; \
	done

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Resolves the newest versions pyproject.toml allows in a scratch venv and writes them,
# exactly pinned, to constraints.txt. Run it after changing dependencies; commit the file.
lock: ## refresh constraints.txt
	@$(ENSURE_VENV) make "$(PYTHON)" $(VENV)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	$(PYTHON) -m venv "$$scratch/venv" && \
	"$$scratch/venv/bin/python" -m pip install --quiet --upgrade pip setuptools && \
	"$$scratch/venv/bin/python" -m pip install --quiet -e '.[test,dev]' && \
	{ echo "# Exact versions for every install (pip install -c $(CONSTRAINTS) ...)."; \
	  echo "# Made by \`make lock\` with Python $$("$$scratch/venv/bin/python" -c 'import platform; print(platform.python_version())'); do not edit by hand."; \
	  "$$scratch/venv/bin/python" -m pip freeze --all --exclude-editable | grep -v '^campaign=='; \
	} > $(CONSTRAINTS).new && mv $(CONSTRAINTS).new $(CONSTRAINTS)
	@echo "Wrote $(CONSTRAINTS); \`make test\` installs from it."

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
