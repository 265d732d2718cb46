# The two commands of a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Installs come from the lock files, every file checked against its hash; `make lock` writes
# them from pyproject.toml. The project itself is installed without its dependencies (they are
# all in the lock) and built with the locked setuptools, not a freshly downloaded one.
PIP_LOCKED := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
PIP_PROJECT := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
# The project's bytecode, written once: an editable install writes none, and where
# PYTHONDONTWRITEBYTECODE is set (this project's machine) every `faqbot` process would
# otherwise compile bot/ from source (0.16 s or more of a `faqbot ask`). A stale file is only
# recompiled in memory, so this is never wrong, only slower until the next install or run.
BYTECODE := $(BIN)/python -m compileall -q bot
# The lock tool, itself from PyPI through pip in the venv.
UV_VERSION := 0.13.8
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

.PHONY: run test postgres lint bench bench-store bench-scale lock lock-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock or the project's metadata changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r requirements.lock
	$(PIP_PROJECT)
	$(BYTECODE)
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(PIP_LOCKED) -r requirements-dev.lock
	$(PIP_PROJECT)
	$(BYTECODE)
	touch $@ $(VENV)/.installed

## make run: install, then start the bot (Discord with DISCORD_TOKEN, else the console)
run: $(VENV)/.installed
	$(BYTECODE)
	$(BIN)/faqbot run

# The tests start a throwaway PostgreSQL server of their own (tests/pg_server.py); this only
# makes sure Debian's server binaries are there, installing them when missing (CI runs as root).
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing PostgreSQL for the tests (apt-get install postgresql)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
			</dev/null >/dev/null; \
	else echo "the tests need PostgreSQL: run 'sudo apt-get install -y postgresql'" >&2; exit 1; fi

## make test: install with dev extras; lint, format check, type check, the whole suite
test: $(VENV)/.installed-dev postgres
	$(BYTECODE)
	$(BIN)/ruff check bot tests benchmarks tools
	$(BIN)/ruff format --check bot tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## make bench: the matcher benchmarks, lexical then Korean (not part of the test suite)
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_matcher.py
	$(BIN)/python benchmarks/bench_korean.py

## make bench-store: the PostgreSQL store benchmark (edit visibility, concurrent adds)
bench-store: $(VENV)/.installed postgres
	$(BIN)/python benchmarks/bench_store.py

## make bench-scale: 5,000 servers x 3 entries in one process (issue 8's budgets)
bench-scale: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_scale.py

## make lock: after changing dependencies in pyproject.toml, resolve them into the lock files.
## Versions already locked are kept; `make lock-upgrade` moves everything to the newest.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(LOCK) $(UPGRADE) pyproject.toml requirements-build.in --extra dev -o requirements-dev.lock
	$(LOCK) pyproject.toml requirements-build.in -c requirements-dev.lock -o requirements.lock

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
