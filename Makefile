# InnoCell: `make run` serves the demo, `make test` runs the whole suite, `make mutate` measures
# how many mutants of the allocation core the tests kill (slow; not part of `make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app innocell
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT

.PHONY: run serve test test-future install install-dev bench mutate clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	INNOCELL_SCHEDULER=1 $(FLASK) serve --host $(HOST) --port $(PORT)

# Production serving (README: Running in production and at scale): gunicorn, workers from
# WEB_CONCURRENCY or INNOCELL_WORKERS (default 4), INNOCELL_THREADS threads each (default 4), on
# HOST:PORT. Each worker runs the scheduler (INNOCELL_SCHEDULER, default on): every job tick is
# claimed in the database, so it runs once across workers and instances. One log line per
# request comes from the app (innocell.requests), so gunicorn's access log stays off.
serve: install
	$(FLASK) db upgrade
	INNOCELL_SCHEDULER=$${INNOCELL_SCHEDULER:-1} $(BIN)/gunicorn \
	  --workers $${WEB_CONCURRENCY:-$${INNOCELL_WORKERS:-4}} --threads $${INNOCELL_THREADS:-4} \
	  --bind $(HOST):$(PORT) --graceful-timeout 30 innocell.wsgi:app

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite with the real clock a year ahead: nothing may depend on today's date. Date logic
# does not depend on the database or the browser, so this run takes SQLite and skips the e2e
# and PostgreSQL copies (`make test` runs them all); FUTURE_ARGS= runs every test.
FUTURE_ARGS ?= -m "not e2e" -k "not postgresql"
test-future: install-dev
	INNOCELL_TEST_CLOCK_SHIFT_DAYS=365 $(BIN)/python -m pytest $(FUTURE_ARGS) $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run_all.py

# Mutation testing of innocell/allocation/ and the booking check path ([tool.mutmut] in
# pyproject.toml): a fresh run every time, MUTATE_CHILDREN processes (1 or 2 on this machine),
# then the score of non-equivalent mutants (tests/mutation/report.py; fails under 90%).
MUTATE_CHILDREN ?= 1
mutate: install-dev
	$(BIN)/pip install --quiet -e '.[dev,mutate]'
	rm -rf mutants
	@start=$$(date +%s); \
	$(BIN)/python tests/mutation/report.py --scope | xargs $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) \
		> mutants.log 2>&1 || { tail -c 3000 mutants.log; exit 1; }; \
	echo "mutmut ran in $$(( $$(date +%s) - start )) s (log: mutants.log)"
	$(BIN)/python tests/mutation/report.py

# After marking a string with _() in a template or innocell/: extract every marked string, add
# the new ones to each language's .po (translate them there: tests/web/test_languages.py fails
# while one is missing), and compile the .mo the app reads (the app also compiles a stale .mo
# when it starts).
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k N_ --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -w 100 --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache instance/innocell.db* mutants mutants.log
