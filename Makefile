# Two entry points, each doing all of its own set-up:
#   make certify  - the main job: pytest --floe-dbt-compliance on the reference runtimes
#   make test     - lint, types and the whole test suite (what .ci/run calls)
# and make certify-postgres: the same certification on a PostgreSQL server it starts itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Rebuilt when pyproject.toml changes or the venv's interpreter no longer runs.
STAMP := $(VENV)/.floe-installed
REPORT ?= .floe/compliance
# Plain dbt-core's outcomes on the kit's scenarios, kept between runs (keyed by scenario,
# project fingerprint and dbt version) and shared by make certify and the kit's self-tests.
REFERENCE ?= .floe/reference
export FLOE_DBT_REFERENCE_CACHE ?= $(REFERENCE)
# dbt-core sends anonymous usage events by default; nothing here should leave the machine.
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false

.PHONY: certify certify-postgres test test-lowest lowest-env lint typecheck unit bench docs clean mutate

$(STAMP): pyproject.toml
	@$(BIN)/python -c "" 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Two workers: the kit splits its suites across them and merges one certificate per runtime.
# One chaos seed (--floe-dbt-chaos): cloud's compile, run and test again under the faults it
# plans, each ending as fault-free (row remote.chaos); another seed: make certify CHAOS=8.
CHAOS ?= 7
certify: $(STAMP)
	$(BIN)/pytest --floe-dbt-compliance --floe-dbt-report $(REPORT) -p no:cacheprovider -n 2 \
		--floe-dbt-reference-cache $(REFERENCE) --floe-dbt-chaos $(CHAOS)

# local and cloud on PostgreSQL: --throwaway-postgres (the root conftest.py) starts a server
# from the machine's PostgreSQL binaries on a free loopback port, points libpq's PG* variables
# at it for the session (and its workers) and removes it at the end; the kit reads only those.
REPORT_POSTGRES ?= .floe/compliance-postgres
certify-postgres: $(STAMP)
	$(BIN)/pytest --floe-dbt-compliance --floe-dbt-warehouse postgres --throwaway-postgres \
		--floe-dbt-runtime local --floe-dbt-runtime cloud --floe-dbt-report $(REPORT_POSTGRES) \
		-p no:cacheprovider -n 2 --floe-dbt-reference-cache $(REFERENCE)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict src compliance

# pytest exits 5 when it collected nothing; here that is a broken suite, not a pass.
unit: $(STAMP)
	@$(BIN)/pytest -n 2 --cov --cov-report=xml:coverage.xml --cov-report=term:skip-covered \
		--junitxml=junit.xml; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; \
	exit $$status
	$(BIN)/coverage report --fail-under=90 --include='src/floe_core/*,compliance/floe_dbt_compliance/*' \
		--omit='compliance/floe_dbt_compliance/fixtures/*'

test: lint typecheck unit

# The lowest versions declared: dbt-core/dbt-duckdb 1.8 (the default install takes the
# highest installable here, 1.11.x) on Python 3.10 when this machine has one (pyenv).
# Certify the local runtime there: the kit's every row, against plain dbt-core 1.8 as the
# reference (the local runtime's own tests run on the highest, in make test).
LOWEST := .venv-lowest
LOWEST_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10) $(PYTHON))
LOWEST_STAMP := $(LOWEST)/.floe-installed
$(LOWEST_STAMP): pyproject.toml
	@$(LOWEST)/bin/python -c "" 2>/dev/null || { rm -rf $(LOWEST) && $(LOWEST_PYTHON) -m venv $(LOWEST); }
	@$(LOWEST)/bin/python --version
	$(LOWEST)/bin/python -m pip install --quiet -e '.[local]' 'dbt-core==1.8.*' 'dbt-duckdb==1.8.*' \
		pytest-timeout pytest-xdist
	@touch $(LOWEST_STAMP)
# Only the install: .ci/run starts it beside `make test`, whose own install waits on the network too.
lowest-env: $(LOWEST_STAMP)
test-lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/pytest --floe-dbt-compliance --floe-dbt-runtime local --floe-dbt-strict \
		--floe-dbt-report .floe/compliance-lowest -p no:cacheprovider -n 2

# The documentation site, as tests/docs/test_docs_site.py builds it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Mutation testing of src/floe_dbt_local with the kit as the test suite (cosmic-ray, the
# `mutate` extra; not in CI: about a minute per mutant). The default is every mutant, which
# takes many hours; MUTATE_COUNT=40 runs a seeded sample drawn across the modules,
# MUTATE_MODULES=results.py,locking.py narrows to files. MUTATE_RESUME=1 goes on with the
# pending mutants of the last session. Mutates files in place, so it refuses to start with
# uncommitted changes in src/floe_dbt_local and restores them at the end.
# See benchmarks/README.md, "Mutation score of the local runtime".
MUTATE_DIR ?= .floe/mutate
MUTATE_SESSION ?= $(MUTATE_DIR)/session.sqlite
MUTATE_CONFIG ?= benchmarks/mutate/cosmic-ray.toml
MUTATE_SEED ?= 11
MUTATE_COUNT ?= 0
MUTATE_MODULES ?=
mutate: $(STAMP)
	@$(BIN)/python -c "import cosmic_ray" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,mutate]'
	@if [ -n "$$(git status --porcelain -- src/floe_dbt_local)" ]; then \
		echo "src/floe_dbt_local has uncommitted changes; mutate only a clean checkout" >&2; exit 1; fi
	@mkdir -p $(MUTATE_DIR)
	@trap 'git checkout -- src/floe_dbt_local' EXIT; trap 'exit 130' INT TERM; set -e; \
	if [ "$(MUTATE_RESUME)" != 1 ]; then \
		$(BIN)/cosmic-ray init $(MUTATE_CONFIG) $(MUTATE_SESSION) --force; \
		$(BIN)/python benchmarks/mutate/session.py sample $(MUTATE_SESSION) \
			--seed $(MUTATE_SEED) --count $(MUTATE_COUNT) --modules '$(MUTATE_MODULES)'; \
	fi; \
	MUTATE_DIR=$(MUTATE_DIR) nice -n 19 $(BIN)/cosmic-ray exec $(MUTATE_CONFIG) $(MUTATE_SESSION)
	$(BIN)/python benchmarks/mutate/session.py summary $(MUTATE_SESSION)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(LOWEST) .floe .pytest_cache .mypy_cache .ruff_cache .coverage* coverage.xml junit.xml
