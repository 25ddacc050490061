#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, end-to-end, browser, sshd, Slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON=${PYTHON:-python3}
"$PYTHON" -m ruff check nni tests benchmarks examples
"$PYTHON" -m pytest -q -p no:cacheprovider "$@"
