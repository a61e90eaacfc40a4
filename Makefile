# CareCircle — the two commands that matter: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast venv web services fmt lint type migrate up bench clean

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

test: venv services  ## the whole suite, on SQLite and on PostGIS
	$(BIN)/python -m pytest

test-fast: venv  ## SQLite only, no outside tools
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

# mypy --strict on the shared core, the pure compute modules (STYLE.md) and the whole coverage service.
STRICT := services/common services/coverage \
	services/beds/indicators.py services/facilities/crs.py services/facilities/nearby.py \
	services/facilities/opening_hours.py services/facilities/rtree_lanes.py \
	services/facilities/nearby_params.py services/facilities/nearby_search.py \
	services/facilities/nearby_postgis.py gateway \
	services/facilities/region_kinds.py services/beds/plans/comparators.py \
	services/beds/plans/definitions.py services/beds/plans/facility_groups.py \
	services/beds/plans/figures.py services/beds/plans/registry_figures.py \
	services/beds/plans/combined.py services/beds/plans/reported.py \
	services/beds/plans/status.py services/beds/plans/labels.py \
	clients/python/carecircle_client services/demo/targets.py

type: venv
	$(BIN)/mypy --strict $(STRICT)

clean:
	rm -rf var .pytest_cache
