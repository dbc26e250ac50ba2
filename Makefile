# ePanel: `make run` serves the demo, `make test` runs the whole suite.
# Every install step lives here or in pyproject.toml / package.json.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
export EPANEL_PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-sqlite test-postgres bench assets install install-test migrate demo check-migrations clean help

help:
	@echo "make run    set everything up and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make bench  run the benchmarks in tests/bench (not part of make test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

epanel/static/.built: node_modules/.installed $(shell find assets -type f)
	node assets/build.mjs
	touch $@

assets: epanel/static/.built

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) epanel demo

run: install assets demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on SQLite, then again on PostgreSQL when EPANEL_TEST_DATABASE_URL is set.
test: install-test assets
	$(BIN)/ruff check .
	$(BIN)/pytest
	@if [ -n "$$EPANEL_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		$(BIN)/pytest --database=postgres; \
	else \
		echo "EPANEL_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

bench: install-test assets
	$(BIN)/pytest tests/bench -o python_files='bench_*.py' -s

check-migrations: install
	$(FLASK) db upgrade
	$(FLASK) db check

clean:
	rm -rf $(VENV) node_modules epanel/static .pytest_cache
