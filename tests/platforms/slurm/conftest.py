from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nni.testing import EventLog

from ._cluster import SlurmCluster, slurm_available


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    reason = slurm_available()
    if reason is not None:
        pytest.skip(f"no Slurm here: {reason}")
    # slurmctld runs as user 'slurm', which cannot enter pytest's private (0700) temp folders.
    root = Path(tempfile.mkdtemp(prefix="nni-slurm-"))
    root.chmod(0o755)
    cluster = SlurmCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def event_log() -> EventLog:
    return EventLog()


@pytest.fixture
def trial_code(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(
        "import os, sys, time\n"
        "import nni\n"
        "params = nni.get_next_parameter()\n"
        "print('gpus=' + os.environ.get('CUDA_VISIBLE_DEVICES', 'none'))\n"
        "print('platform=' + os.environ['NNI_PLATFORM'] + ' seq=' + os.environ['NNI_TRIAL_SEQ_ID'])\n"
        "for step in range(int(params.get('steps', 2))):\n"
        "    nni.report_intermediate_result(params['x'] * step)\n"
        "time.sleep(float(params.get('sleep', 0)))\n"
        "nni.report_final_result({'default': params['x'] * 10, 'extra': 1})\n"
        "sys.exit(int(params.get('exit', 0)))\n"
    )
    return code
