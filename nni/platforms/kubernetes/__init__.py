"""Kubernetes platforms: ``kubernetes`` (a ``batch/v1`` Job per trial), ``kubeflow`` (a PyTorchJob or TFJob of
the Kubeflow training operator, or a TrainJob of Kubeflow Trainer v2) and ``frameworkcontroller`` (a
Framework), on one machinery: the official ``kubernetes`` client (``pip install "nni[kubernetes]"``), watches that resume, and a shared volume for code,
metrics and logs. See ``platform.py`` for how a trial runs and is followed."""

from ._api import KubernetesError, ResourceFollower
from .platform import MOUNT_PATH, FrameworkControllerPlatform, KubeflowPlatform, KubernetesPlatform

__all__ = [
    "KubernetesPlatform",
    "KubeflowPlatform",
    "FrameworkControllerPlatform",
    "KubernetesError",
    "ResourceFollower",
    "MOUNT_PATH",
]
