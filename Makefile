# The two commands of the Quick start: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DB     ?= khidma.db
# pytest's processes (pytest-xdist): two halve the suite's time on a 2-core machine; 0 runs it in one
PYTEST_WORKERS ?= 2

.PHONY: serve test lint check setup clean browser axe dovecot postgres bytecode

$(BIN)/khidma: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/khidma bytecode

# The server's own modules compiled to bytecode ahead of time, as pip does for what it installs (khidma is
# installed editable, so its modules are not): without it, an environment with PYTHONDONTWRITEBYTECODE set
# compiles all ~270 of them again at every start — 0.4 s of a 1.3 s cold start on a slow machine
# (docs/performance.md). Only what changed since is compiled again.
bytecode: $(BIN)/khidma
	$(BIN)/python -m compileall -q server

serve: $(BIN)/khidma bytecode
	$(BIN)/khidma serve --demo --host $(HOST) --port $(PORT) --db $(DB)

lint: $(BIN)/khidma
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: $(BIN)/khidma
	$(BIN)/khidma check

# Browser journeys drive Debian's Chromium through Playwright (no browser download).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

# The accessibility check (tests/test_browser_axe.py) injects axe-core from the npm registry, pinned by
# tests/axe/package-lock.json; Debian's nodejs/npm are installed only when npm is missing.
AXE := tests/axe/node_modules/axe-core/axe.min.js

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	npm ci --prefix tests/axe --ignore-scripts --no-audit --no-fund
	touch $@

axe: $(AXE)

# Inbound e-mail is tested against a real IMAP server on loopback (tests/conftest.py starts it):
# Debian's dovecot, installed only when missing.
dovecot:
	@test -x /usr/sbin/dovecot || command -v dovecot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; }

# The store suites also run on PostgreSQL (tests/pg.py starts a throwaway cluster on loopback): Debian's
# PostgreSQL 15 server binaries, installed only when missing.
postgres:
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

test: lint check browser axe dovecot postgres bytecode
	$(BIN)/pytest -n $(PYTEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache tests/axe/node_modules
