# CareCircle — the two commands that matter: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast venv web services fmt lint type dead migrate up bench clean

$(STAMP): pyproject.toml requirements.lock clients/python/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]' -e ./clients/python
	@touch $(STAMP)

venv: $(STAMP) web  ## the virtualenv at .venv with pinned dependencies and the `carecircle` script

# The /map page's Leaflet, from npm (package-lock.json pins it), served by the gateway: no CDN.
WEB := gateway/webapp
WEB_STAMP := $(WEB)/node_modules/.installed

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm not found: the gateway's /map page needs Node.js 20+ (then run make web)" >&2; \
	fi

web: $(WEB_STAMP)  ## Leaflet for the gateway's /map page (npm ci in gateway/webapp)

services:  ## PostgreSQL + PostGIS, Redis, GDAL installed and running (installs when root)
	bash scripts/ensure_services.sh

test: venv services lint type  ## lint, types, then the whole suite (doctests too), on SQLite and on PostGIS
	$(BIN)/python -m pytest

test-fast: venv  ## SQLite only, no outside tools (no lint or type pass: `make lint type` for those)
	$(BIN)/python -m pytest -m "not slow and not live" -k "not postgis"

demo: venv  ## migrate, load the demo data, start the services and the gateway (Ctrl-C stops)
	$(BIN)/carecircle demo

migrate: venv
	$(BIN)/carecircle migrate

up: demo

bench: venv  ## every benchmark, small sizes, one table (see bench/README.md for the full ones)
	bash scripts/ensure_services.sh --bench
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	$(BIN)/python bench/table.py

fmt: venv
	$(BIN)/ruff format services gateway tests bench migrations clients

lint: venv
	$(BIN)/ruff check services gateway tests bench migrations clients

# mypy --strict on every module of the services, the gateway and the Python client (docs/contracts.md,
# "One home for each rule"; a new module is covered without being listed).
STRICT := services gateway clients/python/carecircle_client

type: venv
	$(BIN)/mypy --strict $(STRICT)

# Dead-code candidates: decorated functions (routes, commands, validators) are called by their
# frameworks; names used only by name (model fields, …) are in scripts/dead_code_allowed.py.
# A list to read, not a CI gate.
dead: venv
	$(BIN)/vulture services gateway clients tests bench migrations scripts/dead_code_allowed.py \
		--min-confidence 60 --ignore-decorators "@*" --ignore-names "$(DEAD_FALSE)" \
		| grep -v '^tests/\|^bench/\|^migrations/' || true
DEAD_FALSE := process_bind_param,process_result_value,load_dialect_impl,state_change,model_config,cache_ok,impl

clean:
	rm -rf var .pytest_cache
