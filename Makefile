# Two commands do everything on a fresh machine:
#   make run    — local stack + sample orders + Dagster UI with the sensor on (Ctrl-C stops all of it)
#   make test   — the whole test suite (what .ci/run calls)
# Both create .venv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test lint bench check-defs clean-state

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/order-pipeline run

demo: install
	$(BIN)/order-pipeline demo

test: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check order_pipeline order_pipeline_tests benchmarks
	$(BIN)/pytest -q -p no:cacheprovider

check-defs: install
	$(BIN)/dg check defs

bench: install
	bash scripts/ensure-postgres.sh
	$(BIN)/python benchmarks/bench_convert.py
	$(BIN)/python benchmarks/bench_upsert.py
	$(BIN)/python benchmarks/bench_sensor.py
	$(BIN)/python benchmarks/bench_e2e.py
	$(BIN)/python benchmarks/bench_redshift_load.py
	$(BIN)/python benchmarks/bench_schema_check.py

lint: install
	$(BIN)/ruff check order_pipeline order_pipeline_tests benchmarks

clean-state:
	rm -rf .local
