#!/usr/bin/env bash
# The test command cosmic-ray runs per mutant: the kit certifying `local`, stopping at the
# first failing row (-x), with plain dbt-core's outcomes kept between mutants in a
# lasting reference cache (the mutants never touch the reference, only the runtime).
set -u
cd "$(dirname "$0")/../.."
export DBT_SEND_ANONYMOUS_USAGE_STATS=false PYTHONDONTWRITEBYTECODE=1
exec "${VENV:-.venv}/bin/pytest" --floe-dbt-compliance --floe-dbt-runtime local \
	-p no:cacheprovider -x -q \
	--floe-dbt-reference-cache "${MUTATE_DIR:-.floe/mutate}/reference" \
	${MUTATE_KIT_ARGS:-}
