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


def _simulated_cluster(tmp_path_factory: pytest.TempPathFactory, **options: Any) -> Iterator[SimulatedCluster]:
    shared = Path(tempfile.mkdtemp(prefix="nni-k8s-shared-"))
    sim = SimulatedCluster(volumes={f"nfs:{NFS_SERVER}:{NFS_PATH}": shared, "pvc:nni-shared": shared}, gpus=2,
                           log_dir=tmp_path_factory.mktemp("k8s-logs"), **options)
    sim.shared = shared  # type: ignore[attr-defined]
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedCluster]:
    """One simulated cluster for the session: a node with 2 GPUs, the shared volume as an NFS export and as a
    PersistentVolumeClaim standing for the same local folder."""
    yield from _simulated_cluster(tmp_path_factory)


@pytest.fixture(scope="session")
def trainer_v2_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedCluster]:
    """A cluster like ``cluster`` that serves Kubeflow Trainer v2 (``trainer.kubeflow.org``, with the
    torch-distributed ClusterTrainingRuntime) and not the training operator's ``kubeflow.org/v1``."""
    yield from _simulated_cluster(tmp_path_factory, served_groups=("batch", "trainer.kubeflow.org"))


@pytest.fixture(scope="session")
def kubeconfig(cluster: SimulatedCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cluster.kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="session")
def trainer_v2_kubeconfig(trainer_v2_cluster: SimulatedCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trainer_v2_cluster.kubeconfig(tmp_path_factory.mktemp("kube-tv2") / "config")


@pytest.fixture(scope="session")
def trainer_v2_section(trainer_v2_cluster: SimulatedCluster, trainer_v2_kubeconfig: Path) -> Callable[..., dict[str, Any]]:
    """Like ``service_section``, for the Trainer-v2-only cluster, as ``platform: kubeflow`` with NNI's
    pytorch-operator roles (master + one worker)."""
    defaults = {"platform": "kubeflow", "operator": "pytorch-operator", "dockerImage": None,
                "master": {"replicas": 1}, "worker": {"replicas": 1}}
    return lambda **extra: _section(trainer_v2_cluster, trainer_v2_kubeconfig, **{**defaults, **extra})


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
