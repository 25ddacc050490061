"""NNI's kubeflow and frameworkcontroller configs, v2 and v1, as NNI's examples and documentation write them,
load unchanged; plain Kubernetes configs too."""

from __future__ import annotations

from pathlib import Path

import pytest

from nni.config import load_config
from nni.errors import ConfigError
from nni.testing.kubernetes_sim.nni_examples import frameworkcontroller_v1_example, kubeflow_v2_example

KUBEFLOW_V2_EXAMPLE = kubeflow_v2_example()
FRAMEWORKCONTROLLER_V1 = frameworkcontroller_v1_example()

# NNI's documented v1 kubeflow config (tf-operator, ps + worker, NFS), on the v1 frameworkcontroller example's header
KUBEFLOW_V1 = FRAMEWORKCONTROLLER_V1.split("trainingServicePlatform")[0] + """\
trainingServicePlatform: kubeflow
searchSpacePath: search_space.json
tuner:
  builtinTunerName: TPE
trial:
  codeDir: .
  ps:
    replicas: 1
    command: python3 mnist.py
    gpuNum: 0
    cpuNum: 1
    memoryMB: 8196
    image: msranni/nni:latest
  worker:
    replicas: 1
    command: python3 mnist.py
    gpuNum: 2
    cpuNum: 1
    memoryMB: 8196
    image: msranni/nni:latest
kubeflowConfig:
  operator: tf-operator
  apiVersion: v1alpha2
  storage: nfs
  nfs:
    server: 10.10.10.10
    path: /var/nfs/general
"""

# NNI 2.x/3.0 v2 frameworkcontroller keys (minSucceedTaskCount as NNI's v2 config class spells it)
FRAMEWORKCONTROLLER_V2 = """\
searchSpaceFile: search_space.json
trialCommand: python3 mnist.py
trialConcurrency: 2
maxTrialNumber: 4
tuner: {name: TPE, classArgs: {optimize_mode: maximize}}
trainingService:
  platform: frameworkcontroller
  serviceAccountName: frameworkcontroller
  namespace: nni
  reuseMode: false
  storage: {storageType: nfs, server: 10.10.10.10, path: /var/nfs/nni}
  taskRoles:
    - name: worker
      dockerImage: msranni/nni:latest
      taskNumber: 2
      command: python3 mnist.py
      gpuNumber: 0
      cpuNumber: 1
      memorySize: 8g
      frameworkAttemptCompletionPolicy: {minFailedTaskCount: 1, minSucceedTaskCount: 1}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "search_space.json").write_text('{"lr": {"_type": "choice", "_value": [0.1, 0.01]}}')
    (tmp_path / "mnist.py").write_text("")
    return tmp_path


def _load(folder: Path, text: str):
    path = folder / "config.yml"
    path.write_text(text)
    return load_config(path)


def test_nni_v2_kubeflow_example_loads_unchanged(folder):
    config = _load(folder, KUBEFLOW_V2_EXAMPLE)
    service = config.training_service
    assert (service.platform, service.operator, service.api_version) == ("kubeflow", "tf-operator", "v1alpha2")
    assert service.worker.memory_size == "8192Mi" and service.worker.cpu_number is None
    assert (service.storage.storage_type, service.storage.server) == ("nfs", "10.10.10.10")
    assert config.trial_command == "python3 mnist.py"  # the role's command: NNI's config leaves trialCommand unset


def test_nni_v1_kubeflow_config_loads(folder):
    service = _load(folder, KUBEFLOW_V1).training_service
    assert set(service.roles()) == {"ps", "worker"}
    assert (service.worker.gpu_number, service.worker.docker_image, service.ps.memory_size) == \
        (2, "msranni/nni:latest", "8196Mi")
    assert service.storage.path == "/var/nfs/general"


def test_nni_v1_frameworkcontroller_example_loads(folder):
    role = _load(folder, FRAMEWORKCONTROLLER_V1).training_service.task_roles[0]
    assert (role.name, role.task_number, role.gpu_number, role.memory_size) == ("worker", 1, 1, "8192Mi")
    policy = role.framework_attempt_completion_policy
    assert (policy.min_failed_task_count, policy.min_succeeded_task_count) == (1, 1)


def test_nni_v2_frameworkcontroller_config_loads(folder):
    service = _load(folder, FRAMEWORKCONTROLLER_V2).training_service
    assert (service.namespace, service.service_account_name, service.reuse_mode) == ("nni", "frameworkcontroller", False)
    assert service.task_roles[0].memory_size == "8Gi"
    assert service.task_roles[0].framework_attempt_completion_policy.min_succeeded_task_count == 1


def test_example_with_its_placeholders_says_what_to_fill_in(folder):
    text = FRAMEWORKCONTROLLER_V1.replace("server: 10.10.10.10", "server: {your_nfs_server_ip}")
    with pytest.raises(ConfigError, match="placeholder {your_nfs_server_ip}; put your NFS server's address"):
        _load(folder, text)


def test_other_python_tags_are_still_refused(folder):
    with pytest.raises(ConfigError, match="not valid YAML"):
        _load(folder, KUBEFLOW_V2_EXAMPLE.replace("dataclasses._MISSING_TYPE", "os.system"))


def test_plain_kubernetes_config(folder):
    config = _load(folder, """\
searchSpaceFile: search_space.json
trialCommand: python3 mnist.py
trialConcurrency: 2
trialGpuNumber: 1
tuner: {name: TPE}
trainingService:
  platform: kubernetes
  namespace: nni
  dockerImage: my-registry/trainer:1.0
  cpuNumber: 2
  memorySize: 8G
  nodeSelector: {gpu-type: a100}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
  serviceAccountName: nni-trial
  imagePullSecrets: [my-registry]
  storage: {storageType: pvc, claimName: nni-shared, localMountPath: .}
""")
    service = config.training_service
    assert (service.cpu_number, service.memory_size, service.gpu_number) == (2.0, "8Gi", None)
    assert service.tolerations[0]["operator"] == "Exists" and service.image_pull_secrets == ["my-registry"]
    assert service.storage.local_mount_path == str(folder)
