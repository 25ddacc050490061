"""The Kubernetes platforms: each trial is one object on the cluster (a ``batch/v1`` Job, a Kubeflow
PyTorchJob/TFJob, or a FrameworkController Framework; see ``_workloads``), followed with watches.

The shared volume (NFS or a PersistentVolumeClaim) is mounted in every trial pod at ``/nni-shared`` and seen
by this machine at ``storage.localMountPath``; the experiment's folder on it is ``nni/<experiment id>/``
with ``code/`` (the trial code folder, copied once at start, ``.nniignore`` honoured) and
``trials/<trial id>/`` (``parameter.cfg``, stdout, stderr, the metrics file, ``.nni/exitcode``, and for a
failed trial ``pod.log``, what Kubernetes kept of the lead pod's output). Replicas
other than the lead one (PyTorchJob workers, TFJob parameter servers, other Framework tasks) write into
``trials/<trial id>/replicas/<pod name>/`` so that only the lead replica's metrics count.

One monitor thread owns the trials' state. Two :class:`ResourceFollower` threads (pods, and the
workload kind, both by the experiment's label) feed it what the API server says; between events it reads
the metrics files that grew (NFS sends no file events, so at most ``pollInterval`` apart) and enforces
``maxTrialDuration``. Pods that cannot be scheduled are reported as WAITING with the scheduler's message;
an image that cannot be pulled (ImagePullBackOff) fails the trial with Kubernetes' reason, as do evicted
and OOMKilled pods. A finished trial's object is deleted (with its pods), so the namespace keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import secrets
import shlex
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nni.config.training_services.kubernetes import KubernetesStorageConfig
from nni.errors import ConfigError
from nni.runtime import trial_channel
from nni.status import TrialStatus

from .._common import read_exit_code, read_metric_events, trial_environment, trial_file_path
from ..base import EventSink, Platform, TrialExited, TrialJob, TrialStarted, TrialWaiting
from ._api import KubernetesError, ResourceFollower, api_error_text, connect, require_client
from ._workloads import PodRole, TrainJobWorkload, Workload, workload_for

if TYPE_CHECKING:
    from .._registry import PlatformContext

__all__ = ["KubernetesPlatform", "KubeflowPlatform", "FrameworkControllerPlatform", "MOUNT_PATH"]

_log = logging.getLogger(__name__)

MOUNT_PATH = "/nni-shared"  # where the shared volume is mounted in every trial pod
_CREATE_ATTEMPTS = 12  # about a minute and a half of an unreachable API server before a trial fails
LABEL_EXPERIMENT, LABEL_TRIAL, LABEL_ROLE = "nni-experiment", "nni-trial", "nni-role"

# Container waiting reasons that will not go away by waiting: the trial fails with Kubernetes' reason.
_FATAL_WAITING = {"ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
                  "CreateContainerError", "RunContainerError"}


def local_storage_root(storage: KubernetesStorageConfig) -> Path | None:
    """Where this machine sees the shared volume: ``localMountPath``, or the mount point of ``server:path``
    among this machine's mounts (NFS)."""
    if storage.local_mount_path:
        return Path(storage.local_mount_path)
    if storage.storage_type == "nfs" and storage.server and storage.path:
        import psutil

        wanted = f"{storage.server}:{storage.path}".rstrip("/")
        for partition in psutil.disk_partitions(all=True):
            if partition.device.rstrip("/") == wanted:
                return Path(partition.mountpoint)
    return None


@dataclass
class _Trial:
    job: TrialJob
    name: str  # the workload's object name
    trial_dir: Path  # this machine's view of the trial folder
    roles: list[PodRole] = field(default_factory=list)
    state: str = "SUBMITTING"  # SUBMITTING -> CREATED -> DONE
    started: bool = False
    started_at: float = 0.0
    seen_workload: bool = False
    kill_status: str | None = None
    deleting: bool = False
    waiting_reason: str = ""
    metrics_offset: int = 0
    pod_notes: dict[str, str] = field(default_factory=dict)  # pod name -> why it failed
    lead_pod: str | None = None  # the lead replica's pod, once seen
    exit_codes: dict[str, int] = field(default_factory=dict)  # pod name -> its container's exit code


class KubernetesPlatform(Platform):
    """Runs each trial as a ``batch/v1`` Job (``platform: kubernetes``); the subclasses below run Kubeflow
    and FrameworkController workloads with the same machinery. See the module docstring."""

    name = "kubernetes"

    @classmethod
    def from_config(cls, config: Any, context: PlatformContext) -> KubernetesPlatform:
        return cls(config, experiment_id=context.experiment_id, experiment_dir=context.experiment_dir,
                   trial_code_directory=context.trial_code_directory)

    @classmethod
    def check_requirements(cls, config: Any) -> None:
        require_client()
        connect(config.kubeconfig, config.context).close()
        storage = config.storage
        root = local_storage_root(storage)
        if root is None:
            where = f"{storage.server}:{storage.path}" if storage.storage_type == "nfs" else f"claim {storage.claim_name}"
            raise ConfigError(f"the shared volume ({where}) is not mounted on this machine, and NNI reads the trials' "
                              f"metrics and logs from it; mount it (e.g. sudo mount -t nfs {where} /mnt/nni) and give "
                              "that folder as storage.localMountPath", key="trainingService.storage.localMountPath")
        if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
            raise ConfigError(f"{root} (the shared volume as this machine sees it) is not a writable folder; mount the "
                              "volume there or give the right storage.localMountPath",
                              key="trainingService.storage.localMountPath")

    def __init__(self, config: Any, *, experiment_id: str, experiment_dir: str | os.PathLike[str],
                 trial_code_directory: str | os.PathLike[str]) -> None:
        self.config = config
        self.experiment_id = experiment_id
        self.experiment_dir = Path(experiment_dir)
        self.trial_code_directory = Path(trial_code_directory)
        self.namespace: str = config.namespace
        self._trials: dict[str, _Trial] = {}
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._sink: EventSink | None = None
        self._api: Any = None
        self._workload: Workload | None = None
        self._followers: list[ResourceFollower] = []
        self._monitor_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._all_done = threading.Condition()

    # -- paths --------------------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The experiment's folder on the shared volume, as this machine sees it."""
        local = local_storage_root(self.config.storage)
        if local is None:
            raise KubernetesError("the shared volume is not mounted on this machine (see storage.localMountPath)")
        return local / "nni" / self.experiment_id

    def _container_root(self) -> str:
        return f"{MOUNT_PATH}/nni/{self.experiment_id}"

    def trial_dir(self, trial_job_id: str) -> str | None:
        return str(self.root / "trials" / trial_job_id)

    # -- Platform interface -------------------------------------------------------------------------
    def start(self, sink: EventSink) -> None:
        self._sink = sink
        self._api = connect(self.config.kubeconfig, self.config.context)
        self._workload = self._choose_workload()
        (self.root / "trials").mkdir(parents=True, exist_ok=True)
        self._copy_code()
        from kubernetes import client

        core = client.CoreV1Api(self._api)
        selector = f"{LABEL_EXPERIMENT}={self.experiment_id}"

        def list_pods(**kwargs: Any) -> Any:
            return core.list_namespaced_pod(self.namespace, label_selector=selector, **kwargs)

        workload = self._workload
        self._followers = [
            ResourceFollower(name="pods", list_fn=list_pods, on_resync=lambda items: self._post("pods", items),
                             on_event=lambda kind, obj: self._post("pod", kind, obj), on_trouble=self._trouble),
            ResourceFollower(name=workload.plural, list_fn=workload.list_fn(self._api, self.namespace, selector),
                             on_resync=lambda items: self._post("workloads", items),
                             on_event=lambda kind, obj: self._post("workload", kind, obj), on_trouble=self._trouble),
        ]
        self._monitor_thread = threading.Thread(target=self._monitor, name="nni-k8s-monitor", daemon=True)
        self._monitor_thread.start()
        for follower in self._followers:
            follower.start()

    def submit(self, job: TrialJob) -> None:
        suffix = secrets.token_hex(2)
        digest = hashlib.sha1(job.trial_job_id.encode()).hexdigest()[:4]  # trial ids differ by case; names cannot
        name = f"nni-{self.experiment_id.lower()}-{job.trial_job_id.lower()}-{digest}{suffix}"[:52]
        trial_dir = self.root / "trials" / job.trial_job_id
        (trial_dir / ".nni").mkdir(parents=True, exist_ok=True)
        trial_channel.write_parameter_file(trial_dir, job.parameter_id, job.parameters, job.parameter_source)
        trial = _Trial(job, name, trial_dir, metrics_offset=job.metrics_offset)
        self._post("submit", trial)

    def kill(self, trial_job_id: str, status: str = TrialStatus.USER_CANCELED) -> None:
        self._post("kill", trial_job_id, status)

    def reattach(self, job: TrialJob, handle: dict[str, Any]) -> bool:
        assert self._workload is not None, "start() must be called first"
        trial_dir = self.root / "trials" / job.trial_job_id
        name = handle.get("name") or self._find_by_label(job.trial_job_id)
        obj = None
        if name:
            try:
                obj = self._workload.get(self._api, self.namespace, name)
            except Exception as exc:
                if getattr(exc, "status", None) != 404:
                    raise KubernetesError(f"cannot look up trial {job.trial_job_id}'s {self._workload.kind} {name}: "
                                          f"{api_error_text(exc)}") from None
        exit_code = read_exit_code(trial_dir)
        if obj is None and exit_code is None:
            return False
        trial = _Trial(job, name or "", trial_dir, state="CREATED", started=bool(handle), started_at=time.monotonic(),
                       seen_workload=obj is not None, metrics_offset=job.metrics_offset)
        trial.roles = self._workload.roles(job)
        self._post("reattach", trial, obj, exit_code)
        return True

    def read_file(self, trial_job_id: str, name: str) -> bytes:
        return trial_file_path(self.root / "trials" / trial_job_id, trial_job_id, name).read_bytes()

    def stop(self) -> None:
        if self._monitor_thread is None or self._stopping.is_set():
            return  # not started, or stopped already
        self._post("stop")
        deadline = time.monotonic() + 90
        with self._all_done:
            self._all_done.wait_for(lambda: all(t.state == "DONE" for t in list(self._trials.values())),
                                    timeout=max(0.0, deadline - time.monotonic()))
        self._wait_until_nothing_left(deadline)
        self._stopping.set()
        self._post("quit")
        for follower in self._followers:
            follower.stop()
        self._monitor_thread.join(timeout=10)
        if self._api is not None:
            self._api.close()

    # -- set-up -------------------------------------------------------------------------------------
    def _choose_workload(self) -> Workload:
        return workload_for(self.config)

    def _copy_code(self) -> None:
        from ..remote._ignore import code_files

        folders = {"code": self.trial_code_directory}
        for role in self._workload.roles(TrialJob("", 0, 0, {}, "", "")) if self._workload else []:
            if role.code_directory and Path(role.code_directory) != self.trial_code_directory:
                folders[f"code-{role.name}"] = Path(role.code_directory)
        for target_name, source in folders.items():
            target = self.root / target_name
            for rel in code_files(str(source)):
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / rel, dest)

    def _find_by_label(self, trial_job_id: str) -> str | None:
        assert self._workload is not None
        selector = f"{LABEL_EXPERIMENT}={self.experiment_id},{LABEL_TRIAL}={trial_job_id}"
        try:
            response = self._workload.list_fn(self._api, self.namespace, selector)(_preload_content=False)
        except Exception as exc:
            raise KubernetesError(f"cannot list this experiment's {self._workload.plural}: {api_error_text(exc)}") from None
        items = json.loads(response.data).get("items") or []
        return items[0]["metadata"]["name"] if items else None

    # -- manifests ----------------------------------------------------------------------------------
    def _labels(self, trial: _Trial) -> dict[str, str]:
        return {LABEL_EXPERIMENT: self.experiment_id, LABEL_TRIAL: trial.job.trial_job_id,
                "app.kubernetes.io/managed-by": "nni"}

    def _manifest(self, trial: _Trial) -> dict[str, Any]:
        assert self._workload is not None
        workload = self._workload
        trial.roles = workload.roles(trial.job)
        lead = workload.lead_replica(trial.name, trial.roles)
        labels = self._labels(trial)
        templates = {role.name: self._pod_template(trial, role, labels, lead) for role in trial.roles}
        body = workload.manifest(trial.name, labels, templates, trial.roles)
        body["metadata"]["namespace"] = self.namespace
        return body

    def _pod_template(self, trial: _Trial, role: PodRole, labels: dict[str, str], lead: str | None) -> dict[str, Any]:
        assert self._workload is not None
        container_root = self._container_root()
        code = f"{container_root}/code" if not role.code_directory or \
            Path(role.code_directory) == self.trial_code_directory else f"{container_root}/code-{role.name}"
        env = trial_environment(trial.job, platform=self.name, experiment_id=self.experiment_id,
                                trial_dir=f"{container_root}/trials/{trial.job.trial_job_id}", code_dir=code)
        env_list: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
        env_list.append({"name": "NNI_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        env_list.append({"name": "NNI_REPLICA", "valueFrom": {"fieldRef": {"fieldPath": self._workload.replica_field}}})
        env_list.append({"name": "NNI_LEAD_REPLICA", "value": lead or ""})
        resources: dict[str, dict[str, str]] = {}
        if role.cpu is not None:
            cpu = f"{int(role.cpu * 1000)}m"
            resources.setdefault("requests", {})["cpu"] = cpu
            resources.setdefault("limits", {})["cpu"] = cpu
        if role.memory:
            resources.setdefault("requests", {})["memory"] = role.memory
            resources.setdefault("limits", {})["memory"] = role.memory
        if role.gpus > 0:
            resources.setdefault("limits", {})["nvidia.com/gpu"] = str(role.gpus)
        container: dict[str, Any] = {
            "name": self._workload.container_name, "image": role.image, "command": ["sh", "-c", _pod_script(role.command, code, role.lead_command)],
            "env": env_list, "workingDir": code, "volumeMounts": [{"name": "nni-shared", "mountPath": MOUNT_PATH}],
        }
        if resources:
            container["resources"] = resources
        c = self.config
        spec: dict[str, Any] = {"containers": [container], "volumes": [self._volume()], "restartPolicy": "Never"}
        if c.node_selector:
            spec["nodeSelector"] = dict(c.node_selector)
        if c.tolerations:
            spec["tolerations"] = [dict(t) for t in c.tolerations]
        if c.service_account_name:
            spec["serviceAccountName"] = c.service_account_name
        if c.image_pull_secrets:
            spec["imagePullSecrets"] = [{"name": n} for n in c.image_pull_secrets]
        return {"metadata": {"labels": {**labels, LABEL_ROLE: role.name}}, "spec": spec}

    def _volume(self) -> dict[str, Any]:
        storage = self.config.storage
        if storage.storage_type == "pvc":
            return {"name": "nni-shared", "persistentVolumeClaim": {"claimName": storage.claim_name}}
        return {"name": "nni-shared", "nfs": {"server": storage.server, "path": storage.path}}

    # -- the monitor thread -------------------------------------------------------------------------
    def _post(self, *item: Any) -> None:
        self._inbox.put(item)

    def _trouble(self, text: str) -> None:
        _log.debug("kubernetes: %s", text)

    def _emit(self, event: Any) -> None:
        assert self._sink is not None, "start() must be called first"
        self._sink(event)

    def _monitor(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=self._wait_time())
            except queue.Empty:
                item = ("tick",)
            if item[0] == "quit":
                return
            try:
                self._handle(item)
                self._read_all_metrics()
                self._enforce_deadlines()
            except Exception:  # one bad event must not end the monitor
                _log.exception("kubernetes monitor: handling %s failed", item[0])
            with self._all_done:
                self._all_done.notify_all()

    def _wait_time(self) -> float:
        wait = float(self.config.poll_interval)
        now = time.monotonic()
        for trial in self._trials.values():
            limit = trial.job.max_duration
            if trial.state != "DONE" and trial.started and limit and trial.kill_status is None:
                wait = min(wait, max(0.0, trial.started_at + limit - now))
        return max(wait, 0.01)

    def _handle(self, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "submit":
            self._create(item[1])
        elif kind == "retry":
            self._create(item[1], item[2])
        elif kind == "kill":
            self._kill(item[1], item[2])
        elif kind == "pod":
            self._on_pod(item[1], item[2])
        elif kind == "workload":
            self._on_workload(item[1], item[2])
        elif kind == "pods":
            for pod in item[1]:
                self._on_pod("ADDED", pod)
        elif kind == "workloads":
            listed = {obj["metadata"]["name"] for obj in item[1]}
            for obj in item[1]:
                self._on_workload("ADDED", obj)
            for trial in list(self._trials.values()):  # deleted while the watch was away
                if trial.state == "CREATED" and trial.name not in listed and \
                        (trial.seen_workload or not self._still_exists(trial)):
                    self._gone(trial)
        elif kind == "reattach":
            self._reattached(item[1], item[2], item[3])
        elif kind == "stop":
            for trial in list(self._trials.values()):
                if trial.state != "DONE":
                    self._kill(trial.job.trial_job_id, trial.kill_status or TrialStatus.SYS_CANCELED,
                               reason="the experiment stopped")

    def _create(self, trial: _Trial, attempt: int = 0) -> None:
        assert self._workload is not None
        if attempt and trial.state != "SUBMITTING":
            return  # killed while waiting for the API server
        self._trials[trial.job.trial_job_id] = trial
        body = self._manifest(trial)
        try:
            self._workload.create(self._api, self.namespace, body)
        except Exception as exc:
            text = api_error_text(exc)
            status = getattr(exc, "status", None)
            if (status is None or status >= 500 or status == 429) and attempt < _CREATE_ATTEMPTS \
                    and not self._stopping.is_set():
                # the API server is away (restarting, overloaded): try again, the trial waits meanwhile
                if attempt == 0:
                    self._emit(TrialWaiting(trial.job.trial_job_id, f"the API server cannot take the "
                                                                    f"{self._workload.kind} yet: {text}"))
                timer = threading.Timer(min(0.5 * 2 ** attempt, 10.0), self._post, ("retry", trial, attempt + 1))
                timer.daemon = True
                timer.start()
                return
            _log.warning("trial %s: creating %s %s failed: %s", trial.job.trial_job_id, self._workload.kind,
                         trial.name, text)
            self._finish(trial, TrialStatus.FAILED, f"the API server refused the {self._workload.kind}: "
                                                    f"{self._workload.explain_refusal(text)}")
            return
        trial.state = "CREATED"
        _log.info("trial %s submitted as %s %s/%s", trial.job.trial_job_id, self._workload.kind, self.namespace,
                  trial.name)

    def _kill(self, trial_job_id: str, status: str, reason: str = "") -> None:
        trial = self._trials.get(trial_job_id)
        if trial is None or trial.state == "DONE":
            return
        trial.kill_status = status
        if trial.state == "SUBMITTING":
            self._finish(trial, status, reason or "cancelled before submission")
            return
        self._delete(trial)
        if not trial.deleting:  # already gone from the cluster
            self._finish(trial, status, reason or "cancelled by NNI")

    def _delete(self, trial: _Trial) -> None:
        assert self._workload is not None
        if trial.deleting:
            return
        try:
            self._workload.delete(self._api, self.namespace, trial.name)
            trial.deleting = True
        except Exception as exc:
            if getattr(exc, "status", None) != 404:
                _log.warning("trial %s: deleting %s %s failed: %s", trial.job.trial_job_id, self._workload.kind,
                             trial.name, api_error_text(exc))
                trial.deleting = True  # the resync after the API server comes back tells whether it is gone

    def _still_exists(self, trial: _Trial) -> bool:
        """Whether the trial's object, never seen by the watch and missing from a list, exists: created after
        that list was made (the watch brings it next), or deleted before the first list saw it (gone for good,
        and no watch event will say so)."""
        assert self._workload is not None
        try:
            self._workload.get(self._api, self.namespace, trial.name)
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                return False
            _log.warning("trial %s: looking up %s %s failed: %s", trial.job.trial_job_id, self._workload.kind,
                         trial.name, api_error_text(exc))
        return True

    def _trial_of(self, obj: dict[str, Any]) -> _Trial | None:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        trial = self._trials.get(labels.get(LABEL_TRIAL, ""))
        return trial if trial is not None and trial.state != "DONE" else None

    def _on_workload(self, kind: str, obj: dict[str, Any]) -> None:
        assert self._workload is not None
        trial = self._trial_of(obj)
        if trial is None or obj["metadata"]["name"] != trial.name:
            return
        if kind == "DELETED":
            self._gone(trial)
            return
        trial.seen_workload = True
        if trial.kill_status is not None:
            return  # its end is the deletion
        waiting = self._workload.waiting_reason(obj)
        if waiting and not trial.started and waiting != trial.waiting_reason:
            trial.waiting_reason = waiting
            self._emit(TrialWaiting(trial.job.trial_job_id, waiting))
        verdict = self._workload.verdict(obj)
        if verdict is not None:
            status, reason = verdict
            if status != TrialStatus.SUCCEEDED:
                notes = "; ".join(f"pod {pod}: {note}" for pod, note in sorted(trial.pod_notes.items()))
                reason = f"{reason} ({notes})" if notes else reason
            self._finish(trial, status, reason)
            self._delete(trial)  # nothing is left behind in the namespace

    def _gone(self, trial: _Trial) -> None:
        if trial.kill_status is not None:
            self._finish(trial, trial.kill_status, "cancelled by NNI")
        else:
            assert self._workload is not None
            self._finish(trial, TrialStatus.SYS_CANCELED, f"the {self._workload.kind} {trial.name} was deleted "
                                                          "outside NNI")

    def _on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        trial = self._trial_of(pod)
        if trial is None or kind == "DELETED":
            return
        name = pod["metadata"]["name"]
        assert self._workload is not None
        if self._workload.replica_of(pod) == self._workload.lead_replica(trial.name, trial.roles):
            trial.lead_pod = name
        status = pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        terminated = _terminated_state(pod)
        if terminated is not None and terminated.get("exitCode") is not None:
            trial.exit_codes[name] = int(terminated["exitCode"])
        if phase in ("Running", "Succeeded", "Failed") and (phase != "Failed" or terminated is not None):
            self._mark_started(trial)
        restarted = _failed_before_restart(pod)
        if restarted is not None and phase != "Failed" and trial.kill_status is None:
            # restartPolicy OnFailure (a TrainJob's JobSet): the kubelet would run the trial again in place;
            # the trial failed with its first run
            trial.exit_codes[name] = int(restarted.get("exitCode") or 0)
            trial.pod_notes[name] = _failure_note(pod, restarted)
            self._fail_now(trial, f"pod {name}: {trial.pod_notes[name]}")
            return
        if phase == "Failed":
            trial.pod_notes[name] = _failure_note(pod, terminated)
            if not trial.started and trial.kill_status is None:
                self._fail_now(trial, f"pod {name}: {trial.pod_notes[name]}")
        elif phase == "Pending" and trial.kill_status is None:
            reason, fatal = _pending_reason(pod)
            if fatal:
                self._fail_now(trial, f"pod {name} cannot start: {reason}")
            elif reason and not trial.started and reason != trial.waiting_reason:
                trial.waiting_reason = reason
                self._emit(TrialWaiting(trial.job.trial_job_id, f"pod {name}: {reason}"))

    def _fail_now(self, trial: _Trial, reason: str) -> None:
        self._finish(trial, TrialStatus.FAILED, reason)
        self._delete(trial)

    def _reattached(self, trial: _Trial, obj: dict[str, Any] | None, exit_code: int | None) -> None:
        self._trials[trial.job.trial_job_id] = trial
        if obj is None:
            status = TrialStatus.SUCCEEDED if exit_code == 0 else TrialStatus.FAILED
            self._finish(trial, status, "" if exit_code == 0 else f"exit code {exit_code}")
            return
        self._on_workload("MODIFIED", obj)
        from kubernetes import client

        selector = f"{LABEL_EXPERIMENT}={self.experiment_id},{LABEL_TRIAL}={trial.job.trial_job_id}"
        try:
            pods = client.CoreV1Api(self._api).list_namespaced_pod(self.namespace, label_selector=selector,
                                                                   _preload_content=False)
            for pod in json.loads(pods.data).get("items") or []:
                self._on_pod("MODIFIED", pod)
        except Exception as exc:  # the pod watch brings them too
            _log.warning("trial %s: listing its pods failed: %s", trial.job.trial_job_id, api_error_text(exc))

    def _mark_started(self, trial: _Trial) -> None:
        if not trial.started:
            trial.started = True
            trial.started_at = time.monotonic()
            self._emit(TrialStarted(trial.job.trial_job_id, time.time(), {
                "name": trial.name, "namespace": self.namespace, "trial_dir": str(trial.trial_dir)}))

    def _finish(self, trial: _Trial, status: str, reason: str) -> None:
        if trial.state == "DONE":
            return
        if trial.state != "SUBMITTING":
            self._read_metrics(trial)
        one_pod = self._workload is None or self._workload.lead_replica(trial.name, trial.roles) is None
        lead = next(iter(trial.exit_codes), None) if one_pod else trial.lead_pod
        exit_code = trial.exit_codes.get(lead) if lead else None
        if exit_code is None:
            exit_code = read_exit_code(trial.trial_dir)
        if exit_code is None and status == TrialStatus.FAILED:  # another replica failed before the lead ended
            exit_code = next((code for code in trial.exit_codes.values() if code), None)
        if status == TrialStatus.FAILED and exit_code not in (None, 0) and "exit code" not in reason:
            reason = f"{reason}, exit code {exit_code}" if reason else f"exit code {exit_code}"
        if status == TrialStatus.FAILED:
            self._save_pod_log(trial, lead)
        trial.state = "DONE"
        self._emit(TrialExited(trial.job.trial_job_id, time.time(), status, exit_code, reason))

    def _save_pod_log(self, trial: _Trial, pod: str | None) -> None:
        """Keep the failed pod's log (what Kubernetes kept of its output, e.g. the trial folder not writable)
        as ``pod.log`` in the trial's folder, before the pod is deleted."""
        if pod is None:
            return
        from kubernetes import client

        try:
            text = client.CoreV1Api(self._api).read_namespaced_pod_log(pod, self.namespace, tail_lines=500)
            (trial.trial_dir / "pod.log").write_text(text or "", encoding="utf-8")
        except Exception as exc:  # no log (the container never started) is no news
            _log.debug("trial %s: no log of pod %s: %s", trial.job.trial_job_id, pod, api_error_text(exc))

    # -- metrics and deadlines ----------------------------------------------------------------------
    def _read_all_metrics(self) -> None:
        for trial in self._trials.values():
            if trial.state == "CREATED" and trial.started:
                self._read_metrics(trial)

    def _read_metrics(self, trial: _Trial) -> None:
        events, trial.metrics_offset, errors = read_metric_events(trial.job.trial_job_id, trial.trial_dir,
                                                                  trial.metrics_offset)
        for error in errors:
            _log.warning("trial %s: %s", trial.job.trial_job_id, error)
        if events:
            self._mark_started(trial)
        for event in events:
            self._emit(event)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for trial in list(self._trials.values()):
            limit = trial.job.max_duration
            if trial.state == "CREATED" and trial.started and limit and trial.kill_status is None \
                    and now >= trial.started_at + limit:
                _log.info("trial %s ran past maxTrialDuration (%.0f s); deleting its %s", trial.job.trial_job_id,
                          limit, self._workload.kind if self._workload else "workload")
                self._kill(trial.job.trial_job_id, TrialStatus.SYS_CANCELED, reason="maxTrialDuration reached")

    def _wait_until_nothing_left(self, deadline: float) -> None:
        """Until no pod and no trial object of this experiment is left in the namespace (deleted pods end
        gracefully first; an object deleted with foreground propagation goes after its pods)."""
        from kubernetes import client

        assert self._workload is not None
        core = client.CoreV1Api(self._api)
        selector = f"{LABEL_EXPERIMENT}={self.experiment_id}"
        list_workloads = self._workload.list_fn(self._api, self.namespace, selector)
        delay = 0.1
        while time.monotonic() < deadline:
            try:
                left = [item for response in (
                    core.list_namespaced_pod(self.namespace, label_selector=selector, _preload_content=False),
                    list_workloads(_preload_content=False)) for item in json.loads(response.data).get("items") or []]
            except Exception as exc:
                _log.warning("listing the experiment's pods and %ss failed: %s", self._workload.kind,
                             api_error_text(exc))
                left = [None]
            if not left:
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        _log.warning("pods or %ss of experiment %s are still in namespace %s after stop", self._workload.kind,
                     self.experiment_id, self.namespace)


class KubeflowPlatform(KubernetesPlatform):
    """``platform: kubeflow``: each trial is a PyTorchJob or TFJob of the Kubeflow training operator, or a
    TrainJob of Kubeflow Trainer v2 (see :func:`kubeflow_workload`)."""

    name = "kubeflow"

    @classmethod
    def check_requirements(cls, config: Any) -> None:
        super().check_requirements(config)
        api = connect(config.kubeconfig, config.context)
        try:
            kubeflow_workload(api, config)
        finally:
            api.close()

    def _choose_workload(self) -> Workload:
        return kubeflow_workload(self._api, self.config)


def kubeflow_workload(api: Any, config: Any) -> Workload:
    """What ``platform: kubeflow`` creates on this cluster: a TrainJob where ``trainerRuntime`` asks for it or
    the cluster serves Kubeflow Trainer v2 (``trainer.kubeflow.org``) and not the training operator's
    ``kubeflow.org/v1``; a PyTorchJob/TFJob otherwise. Refused in one line where neither fits."""
    from kubernetes import client

    try:
        groups = client.ApisApi(api).get_api_versions().groups or []
    except Exception as exc:
        raise KubernetesError(f"cannot ask the API server which API groups it serves: {api_error_text(exc)}") from None
    served = {g.name: [v.version for v in g.versions] for g in groups}
    operator_versions = served.get("kubeflow.org", [])
    trainer_served = TrainJobWorkload.version in served.get(TrainJobWorkload.group, [])
    if config.trainer_runtime is not None or ("v1" not in operator_versions and trainer_served):
        if config.operator != "pytorch-operator":
            raise KubernetesError(
                f"this cluster serves only Kubeflow Trainer v2 (trainer.kubeflow.org), which has no runtime for "
                f"{config.operator} (TFJob) trials; install the training operator v1.x for TFJobs, or run the trials "
                "as platform: kubernetes (one pod each)")
        if not trainer_served:
            raise KubernetesError(
                f"trainerRuntime {config.trainer_runtime!r} asks for Kubeflow Trainer v2, but this cluster does not "
                f"serve trainer.kubeflow.org/{TrainJobWorkload.version}; install Kubeflow Trainer (2.2 or later), or "
                "remove trainerRuntime to create PyTorchJobs of the training operator")
        workload = TrainJobWorkload(config)
        problem = workload.runtime_problem(api)
        if problem:
            raise KubernetesError(problem)
        return workload
    workload = workload_for(config)
    if "v1" not in operator_versions:
        raise KubernetesError(f"this cluster does not serve kubeflow.org/v1 (the Kubeflow training operator's "
                              f"{workload.kind}) nor Kubeflow Trainer v2; install the training operator (v1.x) or "
                              "Kubeflow Trainer (2.2 or later), or use platform: kubernetes")
    if config.api_version != "v1":
        _log.warning("apiVersion %s of kubeflow.org is not what this build creates; creating kubeflow.org/v1 "
                     "%ss, which this cluster serves (versions: %s)", config.api_version, workload.kind,
                     ", ".join(operator_versions))
    return workload


class FrameworkControllerPlatform(KubernetesPlatform):
    """``platform: frameworkcontroller``: each trial is a Framework of Microsoft's FrameworkController."""

    name = "frameworkcontroller"


def _pod_script(command: str, workdir: str, lead_command: str | None = None) -> str:
    """What every trial container runs (POSIX sh): the non-lead replicas move to their own folder, the
    command's output goes to the shared folder, and the exit code is recorded there. A container started
    again in the same pod (restartPolicy OnFailure) finds the exit code and ends with it instead of running
    the trial a second time. ``lead_command``, when given, is what the lead replica runs instead."""
    run = f"sh -c {shlex.quote(command)}"
    if lead_command is not None:
        run = f'if [ "$lead" = 1 ]; then sh -c {shlex.quote(lead_command)}; else {run}; fi'
    return (
        f'cd {shlex.quote(workdir)} || exit 1\n'
        'lead=1\n'
        'if [ -n "${NNI_LEAD_REPLICA:-}" ] && [ "${NNI_REPLICA:-}" != "$NNI_LEAD_REPLICA" ]; then\n'
        '  lead=0; NNI_SYS_DIR="$NNI_SYS_DIR/replicas/$NNI_POD_NAME"; NNI_OUTPUT_DIR="$NNI_SYS_DIR"\n'
        '  export NNI_SYS_DIR NNI_OUTPUT_DIR\n'
        '  mkdir -p "$NNI_SYS_DIR/.nni" && cp "$NNI_SYS_DIR/../../parameter.cfg" "$NNI_SYS_DIR/"\n'
        'fi\n'
        'if [ -f "$NNI_SYS_DIR/.nni/exitcode" ]; then exit "$(cat "$NNI_SYS_DIR/.nni/exitcode")"; fi\n'
        'mkdir -p "$NNI_SYS_DIR/.nni"\n'
        f'{run} >>"$NNI_SYS_DIR/stdout" 2>>"$NNI_SYS_DIR/stderr"\n'
        'code=$?\n'
        'echo "$code" >"$NNI_SYS_DIR/.nni/exitcode.tmp" && mv "$NNI_SYS_DIR/.nni/exitcode.tmp" "$NNI_SYS_DIR/.nni/exitcode"\n'
        'tail -c 16384 "$NNI_SYS_DIR/stdout"; tail -c 16384 "$NNI_SYS_DIR/stderr" >&2\n'
        'exit "$code"\n'
    )


def _terminated_state(pod: dict[str, Any]) -> dict[str, Any] | None:
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (container.get("state") or {}).get("terminated")
        if terminated:
            return terminated
    return None


def _failed_before_restart(pod: dict[str, Any]) -> dict[str, Any] | None:
    """The failed run of a container the kubelet started again in the same pod (restartPolicy OnFailure)."""
    for container in (pod.get("status") or {}).get("containerStatuses") or []:
        last = (container.get("lastState") or {}).get("terminated")
        if last and last.get("exitCode") not in (None, 0):
            return last
    return None


def _failure_note(pod: dict[str, Any], terminated: dict[str, Any] | None) -> str:
    status = pod.get("status") or {}
    if status.get("reason") == "Evicted":
        return f"evicted: {status.get('message') or 'the node ran short of resources'}"
    if terminated is not None:
        reason = terminated.get("reason") or "Error"
        if reason == "OOMKilled":
            return f"OOMKilled (the container went over its memory limit), exit code {terminated.get('exitCode')}"
        return f"{reason}, exit code {terminated.get('exitCode')}"
    return ": ".join(p for p in (status.get("reason"), status.get("message")) if p) or "failed"


def _pending_reason(pod: dict[str, Any]) -> tuple[str, bool]:
    """Why a pending pod does not run yet (Kubernetes' own words), and whether waiting cannot help."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            text = ": ".join(p for p in (waiting.get("reason"), waiting.get("message")) if p)
            return text, waiting.get("reason") in _FATAL_WAITING
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return ": ".join(p for p in (condition.get("reason") or "Unschedulable", condition.get("message")) if p), False
    return "", False
