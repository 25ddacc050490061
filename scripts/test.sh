#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, end-to-end, browser, sshd, Slurm), the 20
# slowest tests listed at the end. The fast path skips what starts real experiments, sshd, Slurm or Chromium:
#   python3 -m pytest -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON=${PYTHON:-python3}
"$PYTHON" -m ruff check nni tests benchmarks examples
"$PYTHON" -m pytest -q -p no:cacheprovider --durations=20 "$@"
