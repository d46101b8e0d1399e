# Regulars: `make run` to start it, `make test` to test it. Needs Debian (or any Linux) with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip --disable-pip-version-check --quiet install --root-user-action=ignore
PORT ?= 8000
# e.g. make test TEST_ARGS='regulars/platform -x'
TEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test lint bench messages clean

help:
	@echo "make run       set up .venv, migrate, load the demo when empty, serve http://127.0.0.1:$(PORT)/ and run the worker"
	@echo "make test      the whole suite: SQLite (with the browser tests), then PostgreSQL when reachable"
	@echo "make lint      ruff, mypy (django-stubs), import-linter (the layer rules)"
	@echo "make bench     generate data and measure lookups (bench/)"
	@echo "make messages  compile the translations (regulars/locale)"

# The virtualenv, created once. Debian ships venv's pip in a separate package, hence the hint.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian: apt-get install python3-venv"; rm -rf $(VENV); exit 1; }

# Stamp files: reinstall only when pyproject.toml is newer than the last install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test,lint]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/regulars run --port $(PORT)

test: $(VENV)/.installed-dev
	bash scripts/test.sh $(TEST_ARGS)

# All three always run, so one report shows every problem; the target fails if any of them does.
lint: $(VENV)/.installed-dev
	@status=0; \
	echo "+ ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "+ mypy regulars config"; $(BIN)/mypy regulars config || status=1; \
	echo "+ lint-imports"; $(BIN)/lint-imports || status=1; \
	exit $$status

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# compilemessages walks the tree below the current directory: start inside regulars/ so that the .po files of the
# packages in .venv are left alone. Needs GNU gettext (apt-get install gettext).
messages: $(VENV)/.installed
	@if [ -d regulars/locale ]; then \
		cd regulars && $(abspath $(BIN))/regulars compilemessages; \
	else \
		echo "regulars/locale does not exist yet: nothing to compile"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts var/static var/test-*.sqlite3*
