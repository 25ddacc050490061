#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite (unit, end-to-end, browser, sshd, Slurm), the 20
# slowest tests listed at the end, then the local-machine suites a second time with the portable OS seam
# forced (NNI_OS_SEAM=portable). The fast path skips what starts real experiments, sshd, Slurm or Chromium:
#   python3 -m pytest -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PYTHON=${PYTHON:-python3}
"$PYTHON" -m ruff check nni tests benchmarks examples
"$PYTHON" -m pytest -q -p no:cacheprovider --durations=20 "$@"
# The local-machine suites once more through the portable OS seam (psutil, watchdog: what macOS runs), since
# these machines run Linux; tests/_os covers each seam operation on both paths in the run above.
if [ "$#" -eq 0 ]; then
  NNI_OS_SEAM=portable "$PYTHON" -m pytest -q -p no:cacheprovider tests/platforms/local tests/cli \
    tests/manager/test_resume.py tests/manager/test_resume_sigkill.py tests/manager/test_local_end_to_end.py tests/e2e
fi
