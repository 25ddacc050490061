"""A simulated Kubernetes cluster (API server, scheduler, kubelet running pods as local processes, the Job,
training-operator and FrameworkController controllers, fault injection) for testing the Kubernetes platforms
without a cluster. It needs the ``kubernetes`` client and, to validate PyTorchJob/TFJob manifests, the
``kubeflow-training`` SDK (both in the ``test`` extra). See ``_apiserver.py``."""

from ._apiserver import SimulatedCluster
from ._schemas import SchemaError, validate_manifest

__all__ = ["SimulatedCluster", "SchemaError", "validate_manifest"]
