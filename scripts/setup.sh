#!/usr/bin/env bash
# Installs everything the project, its examples and its tests need on a fresh Debian machine (run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
PYTHON=${PYTHON:-python3}

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=""
  for pkg in chromium openssh-server slurmctld slurmd slurm-client munge; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
  done
  if [ -n "$need" ]; then
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $need
  fi
fi

# PyTorch for the PyTorch examples and their tests: the CPU build first (a plain "torch" requirement would pull
# a CUDA build of several GB); a machine with GPUs installs its CUDA build instead (see README).
"$PYTHON" -c "import torch" 2>/dev/null || "$PYTHON" -m pip install -q --disable-pip-version-check torch==2.13.0
"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[test,bench]"

# NNI 3.0 itself, in its own cached virtual environment: the compatibility suite (tests/compat/nni3) drives
# this project's experiments with NNI's own nnictl, Python client and web UI build
"$PYTHON" -c "from nni.testing import nni3_venv; print('NNI 3.0 for the compatibility tests:', nni3_venv())"
