# geogmina: the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export GEOGMINA_DEBUG ?= 1
export DJANGO_SETTINGS_MODULE := gis_app.settings
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PARCELS ?= 3000
# make test runs the suite on two pytest-xdist workers (one per core; a file stays on one worker,
# so its module fixtures load once): TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: help deps venv npm messages db-start db-stop migrate demo run test lint format bench backup \
	cluster cluster-stop test-cluster mypy-baseline

help:
	@echo "make run    install what is missing, start the database, migrate, load the demo town, serve http://$(HOST):$(PORT) with the background worker"
	@echo "make test   lint and every test (what CI runs)"
	@echo "make db-start | db-stop | migrate | demo | lint | format | bench"

deps: .make/system-deps
.make/system-deps: scripts/install-system-deps.sh
	@mkdir -p .make
	@scripts/install-system-deps.sh
	@touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | .make/system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $@

npm: node_modules/.installed
node_modules/.installed: package.json package-lock.json | .make/system-deps
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Compiled translations are build products (not committed): rebuilt when a .po file changes.
PO_FILES := $(shell find . -path ./.venv -prune -o -path ./node_modules -prune -o -name '*.po' -print)
MO_FILES := $(PO_FILES:.po=.mo)
messages: $(MO_FILES)
%.mo: %.po | $(VENV)/.installed
	@msgfmt --check-format -o $@ $<

db-start: venv
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m gis_app.dbctl start; fi

db-stop:
	@if [ -x $(PY) ]; then $(PY) -m gis_app.dbctl stop; fi

migrate: db-start
	@$(PY) manage.py migrate --noinput -v 0

demo: migrate npm messages
	@$(PY) manage.py load_demo --if-empty --parcels $(DEMO_PARCELS)

# The background worker (imports from the browser: django-tasks' db_worker) runs beside the
# server and stops with it.
run: demo
	@echo "geogmina: serving on http://$(HOST):$(PORT)/ with a background worker (Ctrl+C to stop)"
	@$(PY) manage.py db_worker --queue-name '*' --no-reload -v 0 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/mypy --no-error-summary | $(VENV)/bin/mypy-baseline filter --allow-unsynced --hide-stats

# after fixing typing errors: write the (shorter) baseline of known mypy errors
mypy-baseline: venv
	@$(VENV)/bin/mypy --no-error-summary | $(VENV)/bin/mypy-baseline sync --sort-baseline

format: venv
	@$(VENV)/bin/ruff check --fix .

test: lint npm messages db-start
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

backup: db-start
	@$(PY) manage.py backup

bench: npm db-start
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Issue #20: primary + streaming replica + two gunicorn nodes + nginx, all on loopback (var/cluster)
cluster: demo
	@$(PY) scripts/cluster.py start

cluster-stop:
	@if [ -x $(PY) ]; then $(PY) scripts/cluster.py stop; fi

# make test-cluster: the tests of tests/cluster against a cluster of their own under
# var/test-cluster (its own primary on its own socket, replica, app nodes, nginx on port
# TEST_CLUSTER_PORT, a small demo town without the registers' demo data), so that it never
# touches the database of `make run`/`make test`. Whatever it started stops at the end, pass or
# fail; the exit status is the tests'. DEMO_PARCELS given on the command line overrides the 300.
TEST_CLUSTER_VAR ?= $(CURDIR)/var/test-cluster
TEST_CLUSTER_PORT ?= 8110
TEST_CLUSTER_PARCELS := $(if $(filter command line,$(origin DEMO_PARCELS)),$(DEMO_PARCELS),300)
test-cluster: venv npm messages
	@unset DATABASE_URL; export GEOGMINA_VAR_DIR=$(TEST_CLUSTER_VAR) GEOGMINA_CLUSTER_PORT=$(TEST_CLUSTER_PORT); \
	trap '$(PY) scripts/cluster.py stop >/dev/null; $(PY) -m gis_app.dbctl stop >/dev/null' EXIT; \
	$(PY) -m gis_app.dbctl start && \
	$(PY) manage.py migrate --noinput -v 0 && \
	$(PY) manage.py load_demo --if-empty --no-hooks --parcels $(TEST_CLUSTER_PARCELS) && \
	$(PY) scripts/cluster.py start && \
	$(PY) -m pytest tests/cluster -p no:django -p no:cacheprovider --confcutdir=tests/cluster \
		-W ignore::pytest.PytestConfigWarning -q $(PYTEST_ARGS)
