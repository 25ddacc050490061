"""The shared platform conformance suite, run by the three Kubernetes platforms (kubeflow as PyTorchJobs and as
Kubeflow Trainer v2 TrainJobs) against the simulated cluster
(an API server speaking the real protocol, whose kubelet runs each pod's command as a local process)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nni.config._base import Context
from nni.config.training_services import training_service_from_json
from nni.platforms.kubernetes import FrameworkControllerPlatform, KubeflowPlatform, KubernetesPlatform
from nni.testing.kubernetes_sim import SimulatedCluster
from nni.testing.platform_conformance import PlatformConformance

pytestmark = pytest.mark.slow


class _Conformance(PlatformConformance):
    timeout = 60.0
    platform_class: type[KubernetesPlatform] = KubernetesPlatform

    @pytest.fixture(autouse=True)
    def _cluster(self, cluster: SimulatedCluster, service_section: Callable[..., dict[str, Any]]) -> None:
        self._sim, self._section = cluster, service_section

    def section(self) -> dict[str, Any]:
        return self._section()

    def make_platform(self, experiment_dir: Path) -> KubernetesPlatform:
        config = training_service_from_json(self.section(), Context(), "trainingService")
        return self.platform_class(config, experiment_id=self.experiment_id, experiment_dir=experiment_dir,
                                   trial_code_directory=self._code)

    def code_dir(self, tmp_path: Path) -> Path:
        self._code = super().code_dir(tmp_path)
        return self._code

    def teardown_method(self) -> None:
        leftover = [p for p in self._sim.pod_names() if self.experiment_id.lower() in p]
        assert not leftover, f"pods left behind in the namespace: {leftover}"


class TestKubernetesJobConformance(_Conformance):
    experiment_id = "k8sjob01"


class TestKubeflowPyTorchJobConformance(_Conformance):
    """One replica (the master): the contract is about a trial's own run. With several replicas, one that fails
    first ends the trial before the lead may have reported (every replica runs the command); the faults tests
    cover several replicas and which of them writes the trial's metrics."""

    experiment_id = "k8spyt01"
    platform_class = KubeflowPlatform

    def section(self) -> dict[str, Any]:
        return self._section(platform="kubeflow", operator="pytorch-operator", apiVersion="v1", dockerImage=None,
                             master={"replicas": 1})


class TestFrameworkControllerConformance(_Conformance):
    experiment_id = "k8sfc001"
    platform_class = FrameworkControllerPlatform

    def section(self) -> dict[str, Any]:
        return self._section(platform="frameworkcontroller", dockerImage=None,
                             taskRoles=[{"name": "worker", "taskNumber": 1,
                                         "frameworkAttemptCompletionPolicy": {"minFailedTaskCount": 1,
                                                                              "minSucceededTaskCount": 1}}])


class TestKubeflowTrainJobConformance(_Conformance):
    """``platform: kubeflow`` with NNI's pytorch-operator roles on a cluster serving only Kubeflow Trainer v2:
    each trial a TrainJob on the torch-distributed runtime, of one node for the reason the PyTorchJob class
    gives (a failing node that is not the lead fails the trial at once, before the lead may have reported)."""

    experiment_id = "k8stv201"
    platform_class = KubeflowPlatform

    @pytest.fixture(autouse=True)
    def _cluster(self, trainer_v2_cluster: SimulatedCluster, trainer_v2_section: Callable[..., dict[str, Any]]) -> None:
        self._sim, self._section = trainer_v2_cluster, trainer_v2_section

    def section(self) -> dict[str, Any]:
        return self._section(worker=None)  # the master alone: one node
