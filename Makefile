# Jiaoyan — the two commands for a new user are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?= -n 2

.PHONY: demo test install install-dev serve test-sqlite test-postgres bench i18n clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: install, migrate, seed the demo district if the database is empty, serve on :5000
demo: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Jiaoyan demo: http://$(HOST):$(PORT)/"
	$(VENV)/bin/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

serve: install
	$(VENV)/bin/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) wsgi:app

## make test: install the dev extra, run the suite on SQLite, then on PostgreSQL if a server answers
test: install-dev
	$(PY) -m pytest -q $(PYTEST_ARGS)
	@url="$${TEST_DATABASE_URL:-$$($(PY) scripts/pg_probe.py)}"; \
	if [ -n "$$url" ]; then \
		echo "== PostgreSQL run ($$url) =="; \
		TEST_DATABASE_URL="$$url" $(PY) -m pytest -q $(PYTEST_ARGS) || exit 1; \
	else \
		echo "== PostgreSQL run skipped: no server answered on 127.0.0.1:5432 and TEST_DATABASE_URL is unset =="; \
	fi

i18n: install-dev
	$(PY) scripts/i18n.py update
	$(PY) scripts/i18n.py compile

clean:
	rm -rf $(VENV) instance .pytest_cache
