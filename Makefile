# The two commands a newcomer needs (`make run`, `make test`), and `make check` for lint and types.
# Each makes .venv itself on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` serves here; choose with `make run PORT=8001 HOST=0.0.0.0` (the environment's HOST, which some
# shells set to the machine's name, is not taken).
HOST := 127.0.0.1
PORT := 8000
# Two installs: the app alone for `make run`, the app with the test tools for `make test` and `make check`.
# Either may come first; the test install contains the app's, so it counts for both.
APP_STAMP := $(VENV)/.app-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: run test check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(APP_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(APP_STAMP)

run: $(APP_STAMP)
	FIELDGOAL_DEMO=$${FIELDGOAL_DEMO:-1} $(BIN)/fieldgoal serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP)
	$(BIN)/pytest

check: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
