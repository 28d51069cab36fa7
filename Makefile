# Two commands: `make run` (a first look on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
# Test processes (pytest-xdist): the suite is CPU-bound and each process has its own PostgreSQL
# database, SQLite files and queue names; `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
# `make run HOST=0.0.0.0 PORT=8080` serves on the network (a phone on the same Wi-Fi).
HOST = 127.0.0.1
PORT = 5000
SERVE := SERVE_HOST=$(HOST) SERVE_PORT=$(PORT)

.PHONY: run test lint install worker serve clean translations constraints

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

REQUIREMENTS := requirements.txt requirements-stats.txt requirements-dev.txt constraints.txt

# Development and tests: production's packages, the optional stats exports, test and lint tools.
$(VENV)/.installed: $(REQUIREMENTS) | $(BIN)/activate
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

# Every version pinned (direct and transitive), from a fresh install of requirements-dev.txt.
constraints:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	{ echo "# Every package's version, direct and transitive (pip install ... -c constraints.txt)."; \
	  echo "# Regenerate after changing a requirements file: make constraints"; \
	  .venv-lock/bin/pip freeze --disable-pip-version-check; } > constraints.txt
	rm -rf .venv-lock

run: install
	$(FLASK) db upgrade
	$(SERVE) $(FLASK) demo --with-data
	$(SERVE) $(FLASK) pipeline drain
	$(SERVE) $(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check --no-cache .

worker: install
	$(FLASK) worker

serve: install    # the production server (gunicorn.conf.py); set DATABASE_URL, REDIS_URL, ...
	$(FLASK) db upgrade
	$(BIN)/gunicorn wsgi:app

clean:
	rm -rf $(VENV) .pytest_cache

# The web app's catalogues: extract new strings, merge them into sw/es/ne, compile the .mo files
# (committed; tests/app/web/ui/test_translations.py checks they match their .po).
UI := app/web/ui
translations: install
	$(BIN)/pybabel -q extract -F $(UI)/babel.cfg -k _l -o $(UI)/translations/messages.pot --no-location --sort-output --project "DataShift Collect" .
	for lang in sw es ne; do \
	  if [ -f $(UI)/translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching -i $(UI)/translations/messages.pot -d $(UI)/translations -l $$lang; \
	  else $(BIN)/pybabel -q init -i $(UI)/translations/messages.pot -d $(UI)/translations -l $$lang; fi; \
	done
	$(BIN)/pybabel -q compile -d $(UI)/translations
