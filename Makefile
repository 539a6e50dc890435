# Two commands do everything on a fresh machine with Python 3.11, git and make:
#   make run    install, migrate, load demo data, serve on http://127.0.0.1:8000
#   make test   the whole suite (on DATABASE_URL / REDIS_URL when set, else SQLite + in-process Celery)
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo chromium lint messages bench soak clean

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's Chromium; install it when it is missing (the machine is root-run).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	  || { echo "Could not install chromium (apt-get failed)"; exit 1; }; }

test: install chromium
	$(PY) manage.py compilemessages --ignore=.venv -v 0 2>/dev/null || true
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# Source strings are Chinese; locale/en holds the English catalogue.
messages: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The province-scale benchmark (docs/benchmarks.md): generates or reuses the data on DATABASE_URL (PostgreSQL)
# and <name>_small, measures, writes bench/results/latest.json. CADRES=6000 is the quick run.
bench: install
	$(PY) -m bench.run $(if $(CADRES),--cadres $(CADRES))

# The soak test of the issue "reliability" (docs/benchmarks.md): 200 simulated users for 10 minutes on the
# generated province in DATABASE_URL (PostgreSQL), a real Celery worker on REDIS_URL's server (database 5),
# write checks afterwards; writes bench/results/soak.json. MINUTES and USERS override the defaults.
soak: install
	$(PY) -m bench.soak --minutes $(or $(MINUTES),10) --users $(or $(USERS),200)
