from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="the Kubernetes platforms need the kubernetes client: pip install 'nni[kubernetes]'")

from nni.testing.kubernetes_sim import SimulatedCluster  # noqa: E402

NFS_SERVER, NFS_PATH = "10.0.0.2", "/exports/nni"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedCluster]:
    """One simulated cluster for the session: a node with 2 GPUs, the shared volume as an NFS export and as a
    PersistentVolumeClaim standing for the same local folder."""
    shared = Path(tempfile.mkdtemp(prefix="nni-k8s-shared-"))
    sim = SimulatedCluster(volumes={f"nfs:{NFS_SERVER}:{NFS_PATH}": shared, "pvc:nni-shared": shared}, gpus=2,
                           log_dir=tmp_path_factory.mktemp("k8s-logs"))
    sim.shared = shared  # type: ignore[attr-defined]
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="session")
def kubeconfig(cluster: SimulatedCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster.kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="session")
def service_section(cluster: SimulatedCluster, kubeconfig: Path) -> Callable[..., dict[str, Any]]:
    """Makes a ``trainingService`` section of ``platform: kubernetes`` for the simulated cluster (keys to
    change as keyword arguments; a None value removes the key)."""
    return lambda **extra: _section(cluster, kubeconfig, **extra)


def _section(sim: SimulatedCluster, kube: Path, **extra: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "platform": "kubernetes", "namespace": "nni", "dockerImage": "python:3.11", "kubeconfig": str(kube),
        "storage": {"storageType": "nfs", "server": NFS_SERVER, "path": NFS_PATH,
                    "localMountPath": str(sim.shared)},  # type: ignore[attr-defined]
        "pollInterval": "0.2s",
    }
    section.update(extra)
    return {k: v for k, v in section.items() if v is not None}
