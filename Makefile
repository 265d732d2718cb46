# The two commands of a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

## make run: install, then start the bot (Discord with DISCORD_TOKEN, else the console)
run: $(VENV)/.installed
	$(BIN)/faqbot run

## make test: install with dev extras; lint, format check, type check, the whole suite
test: $(VENV)/.installed-dev
	$(BIN)/ruff check bot tests benchmarks tools
	$(BIN)/ruff format --check bot tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## make bench: the matcher benchmark (not part of the test suite)
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_matcher.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
