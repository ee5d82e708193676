# Entry points for people and CI (.ci/run calls `make test`).
#   make install   virtualenv in .venv with wikicourse (editable) and the test extras
#   make services  throwaway PostgreSQL and Redis (scripts/), MediaWiki's packages, Chromium
#   make test      the whole test suite; PYTEST_ARGS='-k foo -x' passes options on
#   make docs      regenerate docs/cli.md, the CLI reference, from the code (cog)
#   make demo / bench / services-down / clean

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV := .venv
PYTEST_ARGS ?=

.PHONY: install services services-down test docs demo bench clean

install: $(VENV)/.installed

$(VENV)/bin/python:
	@# Debian's own python3 ships venv separately (python3-venv): install it if that is
	@# what is missing, rather than fail on a fresh machine.
	$(PYTHON) -m venv $(VENV) || { \
	  rm -rf $(VENV); \
	  [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || exit 1; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv \
	    || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv; }; \
	  $(PYTHON) -m venv $(VENV); }

# The stamp makes repeated runs instant: pip runs again only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

services:
	bash scripts/postgres/up.sh
	if [ -f scripts/mediawiki/install.sh ]; then bash scripts/mediawiki/install.sh; fi
	bash scripts/browser/install.sh
	bash scripts/redis/up.sh >/dev/null

services-down:
	bash scripts/postgres/down.sh
	bash scripts/redis/down.sh

# The URL comes from up.sh (already up by now, so this is the instant path) so that
# PGPORT/PGROOT overrides reach the tests without being spelled twice.
test: install services
	WIKICOURSE_TEST_PG="$$(bash scripts/postgres/up.sh)"; export WIKICOURSE_TEST_PG; \
	WIKICOURSE_TEST_REDIS="$$(bash scripts/redis/up.sh)"; export WIKICOURSE_TEST_REDIS; \
	$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The CLI reference is generated from the commands' own help; tests/test_docs.py fails when stale.
docs: install
	$(VENV)/bin/python -m cogapp -r docs/cli.md

demo: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/demo.sh

bench: install services
	WIKICOURSE_TEST_PG="$$(bash scripts/postgres/up.sh)"; export WIKICOURSE_TEST_PG; \
	WIKICOURSE_TEST_REDIS="$$(bash scripts/redis/up.sh)"; export WIKICOURSE_TEST_REDIS; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/python benchmarks/run.py

# Repository artefacts only; the PostgreSQL cluster lives outside (see services-down).
clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .run
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
