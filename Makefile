# InnoCell: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app innocell
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT

.PHONY: run test test-future install install-dev bench clean

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

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite with the real clock a year ahead: nothing may depend on today's date.
test-future: install-dev
	INNOCELL_TEST_CLOCK_SHIFT_DAYS=365 $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache instance/innocell.db*
