"""NNI's own example configs of its Kubernetes modes, as NNI's repository writes them, for tests that load
or run them: only what depends on the cluster is a parameter (the trial command, the NFS export, and
``localMountPath`` and ``namespace``, which these configs leave out and a run on a given cluster needs)."""

from __future__ import annotations

__all__ = ["kubeflow_v2_example", "kubeflow_pytorch_v1_example", "frameworkcontroller_v1_example"]


def kubeflow_v2_example(*, command: str = "python3 mnist.py", server: str = "10.10.10.10",
                        path: str = "/var/nfs/general", local_mount_path: str | None = None,
                        namespace: str | None = None) -> str:
    """NNI 2.x's ``examples/trials/mnist-pytorch/config_kubeflow.yml`` (a TFJob; dumped by NNI with its unset
    dataclass fields written as ``!!python/object:dataclasses._MISSING_TYPE`` tags)."""
    mount = f", localMountPath: {local_mount_path}" if local_mount_path else ""
    namespace_line = f"  namespace: {namespace}\n" if namespace else ""
    return f"""\
debug: false
experimentName: example_dist_pytorch
maxExperimentDuration: 1h
maxTrialNumber: 1
searchSpaceFile: search_space.json
trainingService:
  apiVersion: v1alpha2
  operator: tf-operator
  platform: kubeflow
{namespace_line}  storage: {{path: {path}, server: {server}, storage: nfs{mount}}}
  worker:
    command: {command}
    cpuNumber: !!python/object:dataclasses._MISSING_TYPE {{}}
    dockerImage: msranni/nni:latest
    gpuNumber: !!python/object:dataclasses._MISSING_TYPE {{}}
    memorySize: 8192
    replicas: 1
trialCodeDirectory: .
trialCommand: !!python/object:dataclasses._MISSING_TYPE {{}}
trialConcurrency: 1
tuner:
  classArgs: {{optimize_mode: maximize}}
  name: TPE
useAnnotation: false
"""


def kubeflow_pytorch_v1_example(*, command: str = "python3 dist_mnist.py", server: str = "10.10.10.10",
                                path: str = "/var/nfs/general", local_mount_path: str | None = None,
                                namespace: str | None = None) -> str:
    """NNI's ``examples/trials/mnist-distributed-pytorch/config_kubeflow.yml`` (v1): a PyTorchJob of one master
    and one worker on the pytorch-operator, its NFS placeholders filled in with ``server`` and ``path``."""
    mount = f"    localMountPath: {local_mount_path}\n" if local_mount_path else ""
    namespace_line = f"  namespace: {namespace}\n" if namespace else ""
    return f"""\
authorName: default
experimentName: example_mnist_distributed_pytorch
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 1
#choice: local, remote, pai, kubeflow
trainingServicePlatform: kubeflow
searchSpacePath: search_space.json
#choice: true, false
useAnnotation: false
tuner:
  #choice: TPE, Random, Anneal, Evolution
  builtinTunerName: TPE
  classArgs:
    #choice: maximize, minimize
    optimize_mode: minimize
trial:
  codeDir: .
  master:
    replicas: 1
    command: {command}
    gpuNum: 0
    cpuNum: 1
    memoryMB: 2048
    image: msranni/nni:latest
  worker:
    replicas: 1
    command: {command}
    gpuNum: 0
    cpuNum: 1
    memoryMB: 2048
    image: msranni/nni:latest
kubeflowConfig:
  operator: pytorch-operator
  apiVersion: v1alpha2
{namespace_line}  storage: nfs
  nfs:
    # Your NFS server IP, like 10.10.10.10
    server: {server}
    # Your NFS server export path, like /var/nfs/nni
    path: {path}
{mount}"""


def frameworkcontroller_v1_example(*, command: str = "python3 mnist.py", server: str = "10.10.10.10",
                                   path: str = "/var/nfs/nni", local_mount_path: str | None = None,
                                   namespace: str | None = None) -> str:
    """NNI's ``examples/trials/mnist-pytorch/config_frameworkcontroller.yml`` (v1), its NFS placeholders
    (``{your_nfs_server_ip}``) filled in with ``server`` and ``path``."""
    mount = f"    localMountPath: {local_mount_path}\n" if local_mount_path else ""
    namespace_line = f"  namespace: {namespace}\n" if namespace else ""
    return f"""\
authorName: default
experimentName: example_mnist_pytorch
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 10
#choice: local, remote, pai, kubeflow
trainingServicePlatform: frameworkcontroller
searchSpacePath: search_space.json
#choice: true, false
useAnnotation: false
tuner:
  #choice: TPE, Random, Anneal, Evolution, BatchTuner, MetisTuner, GPTuner
  builtinTunerName: TPE
  classArgs:
    #choice: maximize, minimize
    optimize_mode: maximize
assessor:
  builtinAssessorName: Medianstop
  classArgs:
    optimize_mode: maximize
trial:
  codeDir: .
  taskRoles:
    - name: worker
      taskNum: 1
      command: {command}
      gpuNum: 1
      cpuNum: 1
      memoryMB: 8192
      image: msranni/nni:latest
      frameworkAttemptCompletionPolicy:
        minFailedTaskCount: 1
        minSucceededTaskCount: 1
frameworkcontrollerConfig:
{namespace_line}  storage: nfs
  nfs:
    # Your NFS server IP, like 10.10.10.10
    server: {server}
    # Your NFS server export path, like /var/nfs/nni
    path: {path}
{mount}"""
