#!/usr/bin/env bash
# Sets up a fresh machine and runs the example experiment in the foreground; prints the web UI address.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON=${PYTHON:-python3}
exec "$PYTHON" -m nni.cli create --config examples/sklearn_digits/config.yml --foreground "$@"
