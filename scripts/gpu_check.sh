#!/usr/bin/env bash
# GPU check, one command (under 8 minutes): the CIFAR-10 PyTorch example on generated data with one GPU per
# trial and twice as many trials at once as GPUs; prints how NNI placed the trials (see scripts/gpu_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
exec "$PYTHON" scripts/gpu_check.py "$@"
