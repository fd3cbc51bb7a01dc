# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000

.PHONY: run serve test test-postgres lint format worker bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed ## start the development site on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

serve: $(VENV)/.installed ## run under gunicorn (production-like)
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

worker: $(VENV)/.installed ## send queued e-mail
	$(FLASK) mail work

test: $(VENV)/.installed-test ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test ## the suite against the local PostgreSQL
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# SPEC 11: the speed budgets as ratios to baselines run in the same series (docs/bench.md).
# BENCH_QUICK=1: about 3 minutes; DEPLOY=1: nginx in front of two app servers.
bench: $(VENV)/.installed
	BENCH_QUICK="$(BENCH_QUICK)" DEPLOY="$(DEPLOY)" $(BIN)/python -m bench.run

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
