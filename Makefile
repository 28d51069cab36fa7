# Two commands: `make run` (a first look on the embedded default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: run test lint install worker serve clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) demo --with-data
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check --no-cache .

worker: install
	$(FLASK) worker

serve: install    # the production server (gunicorn.conf.py); set DATABASE_URL, REDIS_URL, ...
	$(FLASK) db upgrade
	$(BIN)/gunicorn wsgi:app

clean:
	rm -rf $(VENV) .pytest_cache
