# Klankbord: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format install translations extract-messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

## Compile the Babel catalogs (*.po -> *.mo).
translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

## Re-extract interface strings and merge them into the catalogs (then translate the new ones).
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project Klankbord --copyright-holder Klankbord -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-location --width 100

## Migrate, load the demo centre into an empty database, print the logins and serve.
# The login and links it prints point at the port it serves on (unless KLANKBORD_BASE_URL says).
run: install
	$(BIN)/klankbord init-db
	KLANKBORD_BASE_URL=$${KLANKBORD_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/klankbord demo --if-empty
	KLANKBORD_BASE_URL=$${KLANKBORD_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/klankbord run --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint
	$(BIN)/klankbord questionnaires check
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
