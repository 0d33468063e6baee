# Two commands do everything on a fresh machine:
#   make run    — local stack + sample orders + Dagster UI with the sensor on (Ctrl-C stops all of it)
#   make test   — the whole test suite (what .ci/run calls)
# Test tiers (folders of order_pipeline_tests/, markers set by its conftest.py):
#   make test-fast    unit + integration + wiring on DuckDB alone: the inner loop
#   make test-e2e     headless scenarios through the real sensor and runs, both warehouses
#   make test-system  real processes: deployment, daemon faults, run/demo commands, browser, wheel, image, IAM
# Both create .venv and install what they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test test-fast test-e2e test-system lint bench check-defs clean-state

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# ARGS passes options on, e.g. make run ARGS="--port 5051 --ui-port 3001 --state-dir .local-2"
run: install
	$(BIN)/order-pipeline run $(ARGS)

demo: install
	$(BIN)/order-pipeline demo $(ARGS)

PYTEST := $(BIN)/pytest -q -p no:cacheprovider

# Two passes side by side: every tier but system on 4 xdist workers (each worker starts its own moto server and
# Redshift endpoint on free ports, in temporary folders), and the system tier on 2, a test file per worker at a time
# (--dist loadfile: a module's shared deployment is started once, the daemon-fault scenarios run one after the other;
# every deployment, endpoint and command has its own ports, database and state folder). The system tier spends much
# of its time waiting for daemon ticks, so the other pass uses the cores meanwhile. Its output goes to $(SYSTEM_LOG)
# and is printed once both passes have ended; make test fails if either does. Each pass prints its 25 slowest tests.
# (Not xdist_group: with pytest 9.2 --dist loadgroup silently stops grouping, pytest-dev/pytest-xdist#1386.)
XDIST := -n 4 --dist loadgroup
SYSTEM_XDIST := -n 2 --dist loadfile
SYSTEM_LOG := test-artifacts/system-tier.log

test: install lint
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	mkdir -p test-artifacts
	$(PYTEST) -m system $(SYSTEM_XDIST) --durations=25 > $(SYSTEM_LOG) 2>&1 & system=$$!; \
	trap 'kill $$system 2>/dev/null' INT TERM; \
	$(PYTEST) -m "not system" $(XDIST) --durations=25; others=$$?; \
	wait $$system; status=$$?; \
	echo "---------- system tier (ran beside the other tiers; its log: $(SYSTEM_LOG))"; \
	cat $(SYSTEM_LOG); \
	test $$others -eq 0 -a $$status -eq 0

# The inner loop is CPU-bound (conversion, DuckDB, the moto endpoint's work): one xdist worker per core.
test-fast: install
	ORDER_PIPELINE_TEST_WAREHOUSES=duckdb $(PYTEST) -m "(unit or integration or wiring) and not slow" -n 2 --durations=30

test-e2e: install
	bash scripts/ensure-postgres.sh
	$(PYTEST) -m e2e --durations=10

test-system: install
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(PYTEST) -m system $(SYSTEM_XDIST) --durations=10

check-defs: install
	$(BIN)/dg check defs

# Every benchmarks/bench_*.py, even when one misses a target; a summary table at the end (scripts/run_benchmarks.py).
# BENCH_ARGS passes options to each, e.g. make bench BENCH_ARGS="--only bench_convert bench_schema_check"
bench: install
	bash scripts/ensure-postgres.sh
	$(BIN)/python scripts/run_benchmarks.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check order_pipeline order_pipeline_tests benchmarks scripts
	$(BIN)/ruff format --check order_pipeline order_pipeline_tests benchmarks scripts
	$(BIN)/mypy

clean-state:
	rm -rf .local
