"""A simulated Kubernetes cluster for the platform's tests: an API server on 127.0.0.1 speaking the subset of
the REST protocol the platform uses, with a scheduler, a kubelet and the workload controllers behind it.

- API server: create / get / list / watch (resourceVersion, bookmarks, 410 Gone once the history is
  compacted) / delete (Foreground and Background propagation) for pods, batch/v1 Jobs, kubeflow.org/v1
  PyTorchJobs and TFJobs, trainer.kubeflow.org/v1alpha1 TrainJobs (Kubeflow Trainer v2) and
  frameworkcontroller.microsoft.com/v1 Frameworks; get of the cluster's ClusterTrainingRuntimes
  (``training_runtimes``); pod logs; ``/apis`` discovery (``served_groups``: a cluster with only
  ``trainer.kubeflow.org`` is a Trainer-v2-only one); bearer-token authentication; every created object
  validated against the real schemas (``_schemas``) and refused with 422 Invalid as the real server would;
  a TrainJob on a runtime the cluster lacks is denied (403) by Trainer's admission webhook, in its words.
- Controllers: the Job controller (one pod, backoffLimit 0), the training operator (Master/Worker/PS
  replicas, Succeeded when the master, or worker 0, succeeds; Failed when a pod fails), Kubeflow Trainer
  with JobSet behind it (a TrainJob's runtime template, trainer overrides and runtime patches merged into
  ``numNodes`` pods of one Indexed Job, named and labelled as JobSet and the Job controller name and label
  them, ``PET_*`` variables of the torch runtime, restartPolicy OnFailure as JobSet defaults it;
  ``Complete`` when every node succeeded, ``Failed`` when a node failed or restarted past the Job's
  backoffLimit; the JobSet and Job levels are folded into the TrainJob, which owns the pods) and
  FrameworkController (task roles, the attempt completion policy), each writing the status the real one
  writes; garbage collection of pods whose owner is gone.
- Scheduler: one node with CPUs, memory and GPUs; a pod that does not fit or whose nodeSelector does not
  match stays Pending with ``PodScheduled=False, Unschedulable`` and the scheduler's message.
- Kubelet: RUNS each pod's container command as a local process (its own process group), with the shared
  volume's mount path mapped to a local folder, the container's env (downward API included) and
  ``NVIDIA_VISIBLE_DEVICES`` for its GPUs; Pending -> Running -> Succeeded/Failed with the exit code
  (restartPolicy OnFailure: a failed container is started again in the same pod after a back-off, with
  ``lastState`` and ``restartCount`` as the kubelet reports them);
  deletion ends the process group (SIGTERM, then SIGKILL after the grace period).
- Faults: ``unpullable_images`` (ErrImagePull, then ImagePullBackOff), ``oom_kill(pod)``, ``evict(pod)``,
  ``drop_watches()``, ``compact()`` (the next resume gets 410 Gone), ``restart_apiserver()``, ``lists_held()``
  (list requests wait, as on a slow API server).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from nni._os import signal_group

from ._schemas import SchemaError, validate_manifest

__all__ = ["SimulatedCluster"]

# (path prefix, plural) -> kind
_RESOURCES = {
    ("api/v1", "pods"): "Pod",
    ("apis/batch/v1", "jobs"): "Job",
    ("apis/kubeflow.org/v1", "pytorchjobs"): "PyTorchJob",
    ("apis/kubeflow.org/v1", "tfjobs"): "TFJob",
    ("apis/frameworkcontroller.microsoft.com/v1", "frameworks"): "Framework",
    ("apis/trainer.kubeflow.org/v1alpha1", "trainjobs"): "TrainJob",
}
_CLUSTER_RUNTIMES = "apis/trainer.kubeflow.org/v1alpha1/clustertrainingruntimes"
_API_VERSIONS = {"Pod": "v1", "Job": "batch/v1", "PyTorchJob": "kubeflow.org/v1", "TFJob": "kubeflow.org/v1",
                 "Framework": "frameworkcontroller.microsoft.com/v1", "TrainJob": "trainer.kubeflow.org/v1alpha1"}
_WORKLOADS = ("Job", "PyTorchJob", "TFJob", "Framework", "TrainJob")
_JOB_BACKOFF_LIMIT = 6  # the Job's default, which Trainer's runtimes leave
_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
# the trainer replicated job of Trainer's torch-distributed ClusterTrainingRuntime (its other fields add nothing here)
_TORCH_RUNTIME_NODE = {
    "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
    "spec": {"restartPolicy": "OnFailure",  # JobSet's default for its Jobs' pods
             "containers": [{"name": "node", "image": "pytorch/pytorch:2.7.1-cuda12.6-cudnn9-runtime",
                             "command": ["/bin/bash", "-c", "echo 'Torch Distributed Runtime'; env | grep PET_"]}]},
}
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quantity(text: Any) -> float:
    text = str(text)
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def _matches(obj: dict[str, Any], selector: dict[str, str]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _parse_selector(text: str | None) -> dict[str, str]:
    out = {}
    for part in (text or "").split(","):
        if part.strip():
            key, _, value = part.partition("=")
            out[key.strip()] = value.strip().lstrip("=")
    return out


class _Process:
    def __init__(self, popen: subprocess.Popen[bytes], started: str) -> None:
        self.popen = popen
        self.started = started
        self.reason: str | None = None  # OOMKilled / Evicted, set by a fault
        self.term_sent: float | None = None


class SimulatedCluster:
    """See the module docstring. ``volumes`` maps a volume source (``nfs:SERVER:PATH`` or ``pvc:CLAIM``) to
    the local folder standing for it."""

    def __init__(self, *, volumes: dict[str, Path], gpus: int = 0, cpu: float = 64, memory: str = "256Gi",
                 node_labels: dict[str, str] | None = None, grace_seconds: float = 2.0,
                 served_groups: tuple[str, ...] = ("batch", "kubeflow.org", "frameworkcontroller.microsoft.com"),
                 training_runtimes: tuple[str, ...] = ("torch-distributed",), log_dir: Path) -> None:
        self.volumes = {k: Path(v) for k, v in volumes.items()}
        self.gpus, self.cpu, self.memory = gpus, cpu, _quantity(memory)
        self.node_labels = {"kubernetes.io/hostname": "sim-node-1", **(node_labels or {})}
        self.grace_seconds = grace_seconds
        self.served_groups = served_groups
        self.training_runtimes = set(training_runtimes)  # the ClusterTrainingRuntimes installed
        self._restart_at: dict[str, float] = {}  # pod name -> when the kubelet starts its failed container again
        self.log_dir = Path(log_dir)
        self.token = secrets.token_urlsafe(24)
        self.unpullable_images: set[str] = set()
        self.created: list[dict[str, Any]] = []  # every manifest accepted, as sent
        self.refused: list[str] = []  # why each refused manifest was refused
        self.requests: list[tuple[str, str]] = []
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._history: list[tuple[int, str, str, dict[str, Any]]] = []
        self._rv = 100
        self._compacted = 0
        self._cond = threading.Condition()
        self._watch_epoch = 0
        self._lists_open = threading.Event()
        self._lists_open.set()
        self._processes: dict[str, _Process] = {}
        self._pull_attempts: dict[str, float] = {}
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.port = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> SimulatedCluster:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._serve()
        loop = threading.Thread(target=self._control_loop, name="sim-k8s-controllers", daemon=True)
        loop.start()
        self._threads.append(loop)
        return self

    def _serve(self) -> None:
        cluster = self

        class Handler(_Handler):
            pass

        Handler.cluster = cluster
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="sim-k8s-apiserver", daemon=True)
        thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._watch_epoch += 1
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for proc in self._processes.values():
            self._killpg(proc, signal.SIGKILL)
        for thread in self._threads:
            thread.join(timeout=5)

    def kubeconfig(self, path: Path, *, namespace: str = "default") -> Path:
        import yaml

        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "sim",
            "clusters": [{"name": "sim", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
            "users": [{"name": "sim-user", "user": {"token": self.token}}],
            "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "sim-user", "namespace": namespace}}],
        }))
        path.chmod(0o600)
        return path

    # ------------------------------------------------------------------ faults
    @contextlib.contextmanager
    def lists_held(self) -> Iterator[None]:
        """List requests wait until the block ends (an API server slow to answer them): a client's first
        list can come after objects it created were already deleted."""
        self._lists_open.clear()
        try:
            yield
        finally:
            self._lists_open.set()

    def drop_watches(self) -> None:
        """Every open watch connection is cut (as a load balancer's idle timeout would)."""
        with self._cond:
            self._watch_epoch += 1
            self._cond.notify_all()

    def compact(self) -> None:
        """Forget the event history (etcd compaction): resuming a watch from an older version gets 410 Gone."""
        with self._cond:
            self._compacted = self._rv
            self._history.clear()
            self._watch_epoch += 1
            self._cond.notify_all()

    def restart_apiserver(self, downtime: float = 1.0) -> None:
        """The API server goes away (connections refused) and comes back on the same port; the cluster's
        state (etcd) and the running pods stay."""
        assert self._httpd is not None
        self.drop_watches()
        self._httpd.shutdown()
        self._httpd.server_close()
        time.sleep(downtime)
        self._serve()

    def oom_kill(self, pod_name: str) -> None:
        self._fault_kill(pod_name, "OOMKilled")

    def evict(self, pod_name: str) -> None:
        self._fault_kill(pod_name, "Evicted")

    def _fault_kill(self, pod_name: str, reason: str) -> None:
        with self._cond:
            proc = self._processes[pod_name]
            proc.reason = reason
        self._killpg(proc, signal.SIGKILL)

    # ------------------------------------------------------------------ inspection
    def objects(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [copy.deepcopy(o) for (k, ns, _), o in self._objects.items()
                    if k == kind and (namespace is None or ns == namespace)]

    def pod_names(self) -> list[str]:
        return sorted(o["metadata"]["name"] for o in self.objects("Pod"))

    def running_processes(self) -> list[int]:
        return [p.popen.pid for p in self._processes.values() if p.popen.poll() is None]

    # ------------------------------------------------------------------ the store
    def _put(self, kind: str, obj: dict[str, Any], event: str) -> None:
        """Store (or remove, for DELETED) an object and record the event; the caller holds the lock."""
        key = (kind, obj["metadata"]["namespace"], obj["metadata"]["name"])
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        if event == "DELETED":
            self._objects.pop(key, None)
        else:
            self._objects[key] = obj
        self._history.append((self._rv, kind, event, copy.deepcopy(obj)))
        self._cond.notify_all()

    def create(self, kind: str, namespace: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            validate_manifest(body)
        except SchemaError as exc:
            self.refused.append(str(exc))
            return 422, _status(422, "Invalid", f"{kind}.{_API_VERSIONS[kind]} is invalid: {exc}")
        if body.get("kind") != kind:
            return 400, _status(400, "BadRequest", f"the body's kind {body.get('kind')} is not {kind}")
        if kind == "TrainJob":
            denied = self._trainjob_webhook(body)
            if denied:
                return 403, _status(403, "Forbidden", denied)
        meta = body.setdefault("metadata", {})
        name = meta.get("name")
        with self._cond:
            if (kind, namespace, name) in self._objects:
                return 409, _status(409, "AlreadyExists", f'{kind.lower()}s "{name}" already exists')
            self.created.append(copy.deepcopy(body))
            meta.update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
            body.setdefault("status", {})
            self._put(kind, body, "ADDED")
            return 201, copy.deepcopy(body)

    def _trainjob_webhook(self, body: dict[str, Any]) -> str | None:
        """Kubeflow Trainer's validating webhook: the runtime a TrainJob names must exist."""
        ref = body["spec"]["runtimeRef"]
        kind = ref.get("kind") or "ClusterTrainingRuntime"
        group = ref.get("apiGroup") or "trainer.kubeflow.org"
        prefix = 'admission webhook "validator.trainjob.trainer.kubeflow.org" denied the request: '
        if kind != "ClusterTrainingRuntime" or group != "trainer.kubeflow.org":
            return f"{prefix}unsupported runtime: {group}/{kind}"
        if ref["name"] not in self.training_runtimes:
            shown = json.dumps({"name": ref["name"], "apiGroup": group, "kind": kind}, separators=(",", ":"))
            return (f"{prefix}spec.runtimeRef: Invalid value: {shown}: clustertrainingruntimes.trainer.kubeflow.org "
                    f'"{ref["name"]}" not found: specified clusterTrainingRuntime must be created before the TrainJob '
                    "is created")
        return None

    def delete(self, kind: str, namespace: str, name: str, propagation: str) -> tuple[int, dict[str, Any]]:
        with self._cond:
            obj = self._objects.get((kind, namespace, name))
            if obj is None:
                return 404, _status(404, "NotFound", f'{kind.lower()}s "{name}" not found')
            if not obj["metadata"].get("deletionTimestamp"):
                obj["metadata"]["deletionTimestamp"] = _now()
                if kind == "Pod":
                    self._put(kind, obj, "MODIFIED")  # the kubelet ends it, then it is removed
                elif propagation == "Foreground":
                    obj["metadata"]["finalizers"] = ["foregroundDeletion"]
                    self._put(kind, obj, "MODIFIED")  # removed once its pods are gone
                else:
                    self._put(kind, obj, "DELETED")  # the garbage collector removes its pods after
            return 200, copy.deepcopy(obj)

    # ------------------------------------------------------------------ the controllers, scheduler and kubelet
    def _control_loop(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                self._cond.wait(timeout=0.1)
                if self._stopping.is_set():
                    return
                for (kind, _ns, _name), obj in list(self._objects.items()):
                    if kind in _WORKLOADS:
                        self._reconcile_workload(kind, obj)
                self._collect_garbage()
                for (kind, _ns, _name), obj in list(self._objects.items()):
                    if kind == "Pod":
                        self._schedule(obj)
                        self._kubelet(obj)

    def _owned_pods(self, owner: dict[str, Any]) -> list[dict[str, Any]]:
        uid = owner["metadata"]["uid"]
        return [o for (k, _, _), o in self._objects.items()
                if k == "Pod" and any(r["uid"] == uid for r in o["metadata"].get("ownerReferences") or [])]

    def _collect_garbage(self) -> None:
        uids = {o["metadata"]["uid"] for o in self._objects.values()}
        for (kind, ns, name), obj in list(self._objects.items()):
            owners = obj["metadata"].get("ownerReferences") or []
            if kind == "Pod" and owners and not any(r["uid"] in uids for r in owners):
                self.delete("Pod", ns, name, "Background")

    def _replicas(self, kind: str, obj: dict[str, Any]) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(role, pod name, index, template) of every pod the workload asks for."""
        name, spec = obj["metadata"]["name"], obj["spec"]
        if kind == "Job":
            return [("", f"{name}-{secrets.token_hex(3)[:5]}", 0, spec["template"])]
        if kind in ("PyTorchJob", "TFJob"):
            specs = spec["pytorchReplicaSpecs" if kind == "PyTorchJob" else "tfReplicaSpecs"]
            return [(rtype, f"{name}-{rtype.lower()}-{i}", i, rs["template"])
                    for rtype, rs in specs.items() for i in range(rs.get("replicas", 1))]
        if kind == "TrainJob":
            template = _trainjob_node_template(obj)
            nodes = (spec.get("trainer") or {}).get("numNodes") or 1
            # JobSet names its Job <jobset>-<replicated job>-<job index>; the Indexed Job its pods <job>-<index>-<random>
            return [("node", f"{name}-node-0-{i}-{secrets.token_hex(3)[:5]}", i, template) for i in range(nodes)]
        return [(role["name"], f"{name}-{role['name']}-{i}", i, role["task"]["pod"])
                for role in spec["taskRoles"] for i in range(role["taskNumber"])]

    def _reconcile_workload(self, kind: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        pods = self._owned_pods(obj)
        if meta.get("deletionTimestamp"):
            for pod in pods:
                self.delete("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"], "Background")
            if not pods:
                self._put(kind, obj, "DELETED")
            return
        status = obj.setdefault("status", {})
        if not status.get("_podsCreated"):
            for role, pod_name, index, template in self._replicas(kind, obj):
                self._create_pod(kind, obj, role, pod_name, index, template)
            status["_podsCreated"] = True
            status["startTime"] = _now()
            if kind in ("PyTorchJob", "TFJob"):
                status["conditions"] = [self._condition("Created", f"{kind}Created", f"{kind} {meta['name']} is created.")]
            if kind == "Framework":
                status["state"] = "AttemptCreationPending"
            self._put(kind, obj, "MODIFIED")
            return
        new_status = self._workload_status(kind, obj, pods)
        if new_status is not None:
            status.update(new_status)
            self._put(kind, obj, "MODIFIED")

    def _condition(self, ctype: str, reason: str, message: str) -> dict[str, Any]:
        return {"type": ctype, "status": "True", "reason": reason, "message": message,
                "lastUpdateTime": _now(), "lastTransitionTime": _now()}

    def _workload_status(self, kind: str, obj: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any] | None:
        status = obj["status"]
        phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
        failed = [n for n, ph in phases.items() if ph == "Failed"]
        running = any(ph == "Running" for ph in phases.values())
        name = obj["metadata"]["name"]
        if kind == "Job":
            conditions = status.get("conditions") or []
            if conditions:
                return None
            if failed:
                return {"failed": 1, "active": 0, "conditions": [{
                    "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit", "lastTransitionTime": _now()}]}
            if phases and all(ph == "Succeeded" for ph in phases.values()):
                return {"succeeded": 1, "active": 0, "completionTime": _now(), "conditions": [{
                    "type": "Complete", "status": "True", "lastTransitionTime": _now()}]}
            if running and status.get("active") != 1:
                return {"active": 1}
            return None
        if kind in ("PyTorchJob", "TFJob"):
            types = [c["type"] for c in status.get("conditions") or []]
            if "Succeeded" in types or "Failed" in types:
                return None
            lead = f"{name}-master-0" if f"{name}-master-0" in phases else f"{name}-worker-0"
            if failed:
                rtype = failed[0].rsplit("-", 2)[-2].capitalize()
                return {"conditions": status["conditions"] + [self._condition(
                    "Failed", f"{kind}Failed", f"{kind} {name} is failed because 1 {rtype} replica(s) failed.")]}
            if phases.get(lead) == "Succeeded":
                return {"conditions": status["conditions"] + [self._condition(
                    "Succeeded", f"{kind}Succeeded", f"{kind} {name} is successfully completed.")],
                    "completionTime": _now()}
            if running and "Running" not in types:
                return {"conditions": status["conditions"] + [self._condition(
                    "Running", f"{kind}Running", f"{kind} {name} is running.")]}
            return None
        if kind == "TrainJob":
            return self._trainjob_status(obj, pods, phases)
        # Framework: the attempt completion policy of each task role
        if status.get("state") == "Completed":
            return None
        outcome = None
        for role in obj["spec"]["taskRoles"]:
            role_pods = [n for n in phases if n.startswith(f"{name}-{role['name']}-")]
            policy = role["frameworkAttemptCompletionPolicy"]
            n_failed = sum(phases[n] == "Failed" for n in role_pods)
            n_succeeded = sum(phases[n] == "Succeeded" for n in role_pods)
            min_failed, min_succeeded = policy["minFailedTaskCount"], policy["minSucceededTaskCount"]
            if min_failed != -1 and n_failed >= min_failed:
                outcome = ("Failed", f"FailedTaskCount {n_failed} has reached MinFailedTaskCount {min_failed} in "
                           f"TaskRole {role['name']}")
                break
            if min_succeeded != -1 and n_succeeded >= min_succeeded:
                outcome = ("Succeeded", f"SucceededTaskCount {n_succeeded} has reached MinSucceededTaskCount "
                           f"{min_succeeded} in TaskRole {role['name']}")
                break
        if outcome is None and phases and all(ph in ("Succeeded", "Failed") for ph in phases.values()):
            outcome = ("Succeeded", "All Tasks are completed and no user specified conditions in "
                                    "FrameworkAttemptCompletionPolicy have ever been triggered")
        if outcome is not None:
            code = 0 if outcome[0] == "Succeeded" else -220
            return {"state": "Completed", "completionTime": _now(), "attemptStatus": {"completionStatus": {
                "code": code, "phrase": outcome[0], "type": {"name": outcome[0], "attributes": []},
                "diagnostics": outcome[1]}}}
        if running and status.get("state") != "AttemptRunning":
            return {"state": "AttemptRunning"}
        return None

    def _trainjob_status(self, obj: dict[str, Any], pods: list[dict[str, Any]], phases: dict[str, Any]
                         ) -> dict[str, Any] | None:
        """Trainer copies the JobSet's verdict: Failed when the Job failed (a pod failed, or its containers
        restarted past the backoffLimit), Complete when every index succeeded."""
        status, name = obj["status"], obj["metadata"]["name"]
        conditions = status.get("conditions") or []
        if any(c["type"] in ("Complete", "Failed") for c in conditions):
            return None
        restarts = sum(int(c.get("restartCount") or 0) for p in pods for c in p["status"].get("containerStatuses") or [])
        if any(ph == "Failed" for ph in phases.values()) or restarts > _JOB_BACKOFF_LIMIT:
            return {"conditions": conditions + [self._condition(
                "Failed", "FailedJobs", f"jobset failed due to one or more job failures (first failed job: "
                                        f"{name}-node-0)")]}
        if phases and all(ph == "Succeeded" for ph in phases.values()):
            return {"conditions": conditions + [self._condition("Complete", "AllJobsCompleted",
                                                                "jobset completed successfully")]}
        return None

    def _create_pod(self, kind: str, owner: dict[str, Any], role: str, pod_name: str, index: int,
                    template: dict[str, Any]) -> None:
        meta = owner["metadata"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        if kind == "Job":
            labels.update({"job-name": meta["name"], "controller-uid": meta["uid"]})
        elif kind in ("PyTorchJob", "TFJob"):
            labels.update({"training.kubeflow.org/job-name": meta["name"],
                           "training.kubeflow.org/replica-type": role.lower(),
                           "training.kubeflow.org/replica-index": str(index)})
        elif kind == "TrainJob":
            job = f"{meta['name']}-node-0"
            labels.update({"jobset.sigs.k8s.io/jobset-name": meta["name"], "jobset.sigs.k8s.io/replicatedjob-name": role,
                           "jobset.sigs.k8s.io/replicatedjob-replicas": "1", "jobset.sigs.k8s.io/job-index": "0",
                           "jobset.sigs.k8s.io/job-global-index": "0", "jobset.sigs.k8s.io/restart-attempt": "0",
                           "batch.kubernetes.io/job-name": job, "job-name": job, _COMPLETION_INDEX: str(index)})
        else:
            labels.update({"FC_FRAMEWORK_NAME": meta["name"], "FC_TASKROLE_NAME": role, "FC_TASK_INDEX": str(index)})
        annotations = dict((template.get("metadata") or {}).get("annotations") or {})
        if kind == "TrainJob":
            annotations.update({_COMPLETION_INDEX: str(index), "jobset.sigs.k8s.io/jobset-name": meta["name"],
                                "jobset.sigs.k8s.io/replicatedjob-name": role})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": meta["namespace"], "labels": labels, "uid": str(uuid.uuid4()),
                            "annotations": annotations, "creationTimestamp": _now(),
                            "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": kind, "name": meta["name"],
                                                 "uid": meta["uid"], "controller": True}]},
               "spec": copy.deepcopy(template["spec"]),
               "status": {"phase": "Pending", "conditions": []}}
        self._put("Pod", pod, "ADDED")

    def _requests(self, pod: dict[str, Any]) -> tuple[float, float, int]:
        cpu = memory = 0.0
        gpus = 0
        for container in pod["spec"]["containers"]:
            resources = container.get("resources") or {}
            requests = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
            cpu += _quantity(requests.get("cpu", 0))
            memory += _quantity(requests.get("memory", 0))
            gpus += int((resources.get("limits") or {}).get("nvidia.com/gpu", 0))
        return cpu, memory, gpus

    def _schedule(self, pod: dict[str, Any]) -> None:
        if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return
        cpu, memory, gpus = self._requests(pod)
        used = [self._requests(o) for (k, _, _), o in self._objects.items()
                if k == "Pod" and o["spec"].get("nodeName") and o["status"].get("phase") in ("Pending", "Running")]
        problems = []
        selector = pod["spec"].get("nodeSelector") or {}
        if any(self.node_labels.get(k) != v for k, v in selector.items()):
            problems.append("1 node(s) didn't match Pod's node affinity/selector")
        if cpu > self.cpu - sum(u[0] for u in used):
            problems.append("1 Insufficient cpu")
        if memory > self.memory - sum(u[1] for u in used):
            problems.append("1 Insufficient memory")
        if gpus > self.gpus - sum(u[2] for u in used):
            problems.append("1 Insufficient nvidia.com/gpu")
        if problems:
            message = f"0/1 nodes are available: {', '.join(problems)}. preemption: 0/1 nodes are available: " \
                      "1 No preemption victims found for incoming pod."
            condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                         "lastTransitionTime": _now()}
            if pod["status"].get("conditions") != [condition] and \
                    (pod["status"].get("conditions") or [{}])[0].get("message") != message:
                pod["status"]["conditions"] = [condition]
                self._put("Pod", pod, "MODIFIED")
            return
        taken = sorted({int(i) for (k, _, _), o in self._objects.items() if k == "Pod"
                        for i in (o["metadata"].get("annotations") or {}).get("sim/gpus", "").split(",") if i})
        free = [i for i in range(self.gpus) if i not in taken]
        pod["metadata"].setdefault("annotations", {})["sim/gpus"] = ",".join(str(i) for i in free[:gpus])
        pod["spec"]["nodeName"] = "sim-node-1"
        pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": _now()}]
        self._put("Pod", pod, "MODIFIED")

    def _kubelet(self, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        proc = self._processes.get(name)
        if pod["metadata"].get("deletionTimestamp"):
            if proc is not None and proc.popen.poll() is None:
                if proc.term_sent is None:
                    proc.term_sent = time.monotonic()
                    self._killpg(proc, signal.SIGTERM)
                elif time.monotonic() - proc.term_sent > self.grace_seconds:
                    self._killpg(proc, signal.SIGKILL)
                return
            if proc is not None and self._group_alive(proc):
                self._killpg(proc, signal.SIGKILL)
                return
            self._processes.pop(name, None)
            self._restart_at.pop(name, None)
            self._put("Pod", pod, "DELETED")
            return
        if not pod["spec"].get("nodeName"):
            return
        phase = pod["status"].get("phase")
        if phase == "Pending" and proc is None:
            self._start_container(pod)
        elif phase == "Running" and proc is None and time.monotonic() >= self._restart_at.get(name, float("inf")):
            del self._restart_at[name]
            self._start_container(pod)
        elif phase == "Running" and proc is not None and proc.popen.poll() is not None:
            self._container_exited(pod, proc)

    def _start_container(self, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        image = container["image"]
        if image in self.unpullable_images:
            first = self._pull_attempts.setdefault(name, time.monotonic())
            reason = "ErrImagePull" if time.monotonic() - first < 0.5 else "ImagePullBackOff"
            message = (f'failed to pull and unpack image "{image}": pull access denied, repository does not exist or '
                       "may require authorization" if reason == "ErrImagePull" else f'Back-off pulling image "{image}"')
            waiting = {"reason": reason, "message": message}
            current = ((pod["status"].get("containerStatuses") or [{}])[0].get("state") or {}).get("waiting")
            if current != waiting:
                pod["status"]["containerStatuses"] = [{"name": container["name"], "image": image, "ready": False,
                                                       "restartCount": 0, "imageID": "", "state": {"waiting": waiting}}]
                self._put("Pod", pod, "MODIFIED")
            return
        mounts = self._mounts(pod, container)
        if mounts is None:
            return  # the volume cannot be mounted: ContainerCreating
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG",)}
        env["HOSTNAME"] = pod["metadata"]["name"]
        for item in container.get("env") or []:
            if "value" in item:
                env[item["name"]] = self._map(str(item["value"]), mounts)
            elif (item.get("valueFrom") or {}).get("fieldRef"):
                env[item["name"]] = _field_value(pod, item["valueFrom"]["fieldRef"]["fieldPath"])
        gpus = (pod["metadata"].get("annotations") or {}).get("sim/gpus", "")
        env.pop("CUDA_VISIBLE_DEVICES", None)
        if gpus:
            env["NVIDIA_VISIBLE_DEVICES"] = gpus
        argv = [self._map(a, mounts) for a in (container.get("command") or []) + (container.get("args") or [])]
        cwd = self._map(container.get("workingDir") or "/", mounts)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed when the pod ends
        try:
            popen = subprocess.Popen(argv, cwd=cwd if os.path.isdir(cwd) else None, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            log.close()
            pod["status"].update(phase="Failed", reason="StartError", message=str(exc))
            self._put("Pod", pod, "MODIFIED")
            return
        log.close()
        proc = _Process(popen, _now())
        self._processes[name] = proc
        threading.Thread(target=self._await_exit, args=(popen,), daemon=True).start()
        pod["status"].update(phase="Running", startTime=proc.started, podIP="10.244.0.10", hostIP="127.0.0.1")
        before = (pod["status"].get("containerStatuses") or [{}])[0]  # a restart keeps the count and the last run
        pod["status"]["containerStatuses"] = [{"name": container["name"], "image": image, "imageID": f"sim://{image}",
                                               "ready": True, "restartCount": before.get("restartCount", 0),
                                               "started": True, "state": {"running": {"startedAt": proc.started}},
                                               **({"lastState": before["lastState"]} if "lastState" in before else {})}]
        self._put("Pod", pod, "MODIFIED")

    def _await_exit(self, popen: subprocess.Popen[bytes]) -> None:
        popen.wait()
        with self._cond:
            self._cond.notify_all()

    def _container_exited(self, pod: dict[str, Any], proc: _Process) -> None:
        code = proc.popen.returncode
        exit_code = 128 - code if code < 0 else code
        reason = proc.reason or ("Completed" if exit_code == 0 else "Error")
        terminated = {"exitCode": exit_code, "reason": "OOMKilled" if reason == "OOMKilled" else
                      ("Error" if reason == "Evicted" else reason), "startedAt": proc.started, "finishedAt": _now()}
        status = pod["status"]
        if pod["spec"].get("restartPolicy") == "OnFailure" and exit_code != 0 and proc.reason != "Evicted" \
                and not pod["metadata"].get("deletionTimestamp"):
            container = status["containerStatuses"][0]
            container.update(ready=False, started=False, restartCount=container.get("restartCount", 0) + 1,
                             lastState={"terminated": terminated},
                             state={"waiting": {"reason": "CrashLoopBackOff", "message": (
                                 f"back-off 10s restarting failed container={container['name']} pod="
                                 f"{pod['metadata']['name']}")}})
            self._processes.pop(pod["metadata"]["name"], None)
            self._restart_at[pod["metadata"]["name"]] = time.monotonic() + 1.0
            self._put("Pod", pod, "MODIFIED")
            return
        status["phase"] = "Succeeded" if exit_code == 0 and proc.reason is None else "Failed"
        status["containerStatuses"][0].update(ready=False, started=False, state={"terminated": terminated})
        if proc.reason == "Evicted":
            status.update(reason="Evicted", message="The node was low on resource: memory. Threshold quantity: 100Mi, "
                                                    "available: 50Mi.")
        self._put("Pod", pod, "MODIFIED")

    def _mounts(self, pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Path] | None:
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        out = {}
        for mount in container.get("volumeMounts") or []:
            volume = volumes.get(mount["name"], {})
            if "nfs" in volume:
                key = f"nfs:{volume['nfs']['server']}:{volume['nfs']['path']}"
            elif "persistentVolumeClaim" in volume:
                key = f"pvc:{volume['persistentVolumeClaim']['claimName']}"
            else:
                return None
            if key not in self.volumes:
                return None
            out[mount["mountPath"]] = self.volumes[key]
        return out

    @staticmethod
    def _map(text: str, mounts: dict[str, Path]) -> str:
        for mount_path, local in mounts.items():
            text = text.replace(mount_path, str(local))
        return text

    @staticmethod
    def _killpg(proc: _Process, sig: int) -> None:
        signal_group(proc.popen.pid, sig)  # a container's processes are one group here

    @staticmethod
    def _group_alive(proc: _Process) -> bool:
        return signal_group(proc.popen.pid, 0)

    # ------------------------------------------------------------------ watches
    def watch(self, kind: str, namespace: str, selector: dict[str, str], since: int | None,
              bookmarks: bool, timeout: float) -> Iterator[dict[str, Any] | None]:
        """The events of a watch; None means the connection is to be cut (a fault or a restart)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            epoch = self._watch_epoch
            if since is not None and since < self._compacted:
                yield {"type": "ERROR", "object": _status(410, "Expired", f"too old resource version: {since} "
                                                                          f"({self._compacted})")}
                return
            cursor = since if since is not None else self._rv
            if since is None:  # a watch without a version starts with the current objects as ADDED
                initial = [copy.deepcopy(o) for (k, ns, _), o in self._objects.items()
                           if k == kind and ns == namespace and _matches(o, selector)]
            else:
                initial = []
        for obj in initial:
            yield {"type": "ADDED", "object": obj}
        last_bookmark = time.monotonic()
        while time.monotonic() < deadline:
            with self._cond:
                if self._watch_epoch != epoch or self._stopping.is_set():
                    yield None
                    return
                pending = [(rv, ev, obj) for rv, k, ev, obj in self._history
                           if rv > cursor and k == kind and obj["metadata"]["namespace"] == namespace]
                if not pending:
                    self._cond.wait(timeout=0.5)  # what arrived meanwhile is sent in the next round
            for rv, ev, obj in pending:
                cursor = rv
                if _matches(obj, selector):
                    yield {"type": ev, "object": _public(obj)}
            if bookmarks and time.monotonic() - last_bookmark > 1.0:
                last_bookmark = time.monotonic()
                yield {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": _API_VERSIONS[kind],
                                                      "metadata": {"resourceVersion": str(cursor)}}}


def _field_value(pod: dict[str, Any], path: str) -> str:
    """A downward-API ``fieldRef`` of a pod: ``metadata.name``, ``metadata.labels['k']``,
    ``metadata.annotations['k']``."""
    meta = pod["metadata"]
    if path == "metadata.name":
        return meta["name"]
    for part in ("labels", "annotations"):
        prefix = f"metadata.{part}['"
        if path.startswith(prefix) and path.endswith("']"):
            return (meta.get(part) or {}).get(path[len(prefix):-2], "")
    raise ValueError(f"fieldRef {path} is not simulated")


def _trainjob_node_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a TrainJob's nodes: the runtime's, then ``spec.trainer``, then the runtime patches of
    the ``node`` replicated job (labels and annotations merged, containers' env and mounts appended by name),
    then the torch plugin's ``PET_*`` variables."""
    template = copy.deepcopy(_TORCH_RUNTIME_NODE)
    spec, name = obj["spec"], obj["metadata"]["name"]
    container = template["spec"]["containers"][0]
    trainer = spec.get("trainer") or {}
    for key, target in (("image", "image"), ("command", "command"), ("args", "args"), ("env", "env"),
                        ("resourcesPerNode", "resources")):
        if key in trainer:
            container[target] = copy.deepcopy(trainer[key])
    for patch in spec.get("runtimePatches") or []:
        for job in ((patch.get("trainingRuntimeSpec") or {}).get("template") or {}).get("spec", {}).get(
                "replicatedJobs") or []:
            if job["name"] != "node":
                continue
            pod_patch = ((job.get("template") or {}).get("spec") or {}).get("template") or {}
            for part in ("labels", "annotations"):
                template["metadata"].setdefault(part, {}).update((pod_patch.get("metadata") or {}).get(part) or {})
            for key, value in (pod_patch.get("spec") or {}).items():
                if key == "containers":
                    for override in value:
                        if override["name"] == container["name"]:
                            for field_name in ("env", "volumeMounts"):
                                container.setdefault(field_name, []).extend(copy.deepcopy(override.get(field_name) or []))
                else:
                    template["spec"][key] = copy.deepcopy(value)
    nodes = trainer.get("numNodes") or 1
    container.setdefault("env", []).extend([
        {"name": "PET_NNODES", "value": str(nodes)}, {"name": "PET_NPROC_PER_NODE", "value": "auto"},
        {"name": "PET_NODE_RANK", "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{_COMPLETION_INDEX}']"}}},
        {"name": "PET_MASTER_ADDR", "value": f"{name}-node-0-0.{name}"}, {"name": "PET_MASTER_PORT", "value": "29400"}])
    return template


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    """An object as the API server shows it (without the simulator's own bookkeeping)."""
    out = copy.deepcopy(obj)
    (out.get("status") or {}).pop("_podsCreated", None)
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: SimulatedCluster

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: dict[str, Any] | str) -> None:
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.cluster.token}":
            return True
        self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        return False

    def _route(self) -> tuple[str, str, str | None, str | None, dict[str, list[str]]] | None:
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        query = parse_qs(url.query)
        for (prefix, plural), kind in _RESOURCES.items():
            pre = prefix.split("/")
            if parts[: len(pre)] == pre and parts[len(pre): len(pre) + 1] == ["namespaces"] \
                    and len(parts) >= len(pre) + 3 and parts[len(pre) + 2] == plural:
                rest = parts[len(pre) + 3:]
                return kind, parts[len(pre) + 1], rest[0] if rest else None, rest[1] if len(rest) > 1 else None, query
        return None

    def do_GET(self) -> None:
        if not self._authorized():
            return
        self.cluster.requests.append(("GET", self.path))
        path = urlparse(self.path).path.strip("/")
        if path == "apis":
            self._send(200, self._discovery())
            return
        if path.startswith(_CLUSTER_RUNTIMES + "/") and "trainer.kubeflow.org" in self.cluster.served_groups:
            name = path[len(_CLUSTER_RUNTIMES) + 1:]
            if name in self.cluster.training_runtimes:
                self._send(200, {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "ClusterTrainingRuntime",
                                 "metadata": {"name": name}, "spec": {"mlPolicy": {"numNodes": 1, "torch": {
                                     "numProcPerNode": "auto"}}}})
            else:
                self._send(404, _status(404, "NotFound", f'clustertrainingruntimes.trainer.kubeflow.org "{name}" '
                                                         "not found"))
            return
        route = self._route()
        if route is None:
            self._send(404, _status(404, "NotFound", "the server could not find the requested resource"))
            return
        kind, namespace, name, sub, query = route
        cluster = self.cluster
        if name is None:
            selector = _parse_selector((query.get("labelSelector") or [None])[0])
            if (query.get("watch") or ["false"])[0].lower() in ("true", "1"):
                self._stream_watch(kind, namespace, selector, query)
                return
            cluster._lists_open.wait()
            with cluster._cond:
                items = [_public(o) for (k, ns, _), o in cluster._objects.items()
                         if k == kind and ns == namespace and _matches(o, selector)]
                version = str(cluster._rv)
            self._send(200, {"apiVersion": _API_VERSIONS[kind], "kind": f"{kind}List",
                             "metadata": {"resourceVersion": version}, "items": items})
            return
        with cluster._cond:
            obj = cluster._objects.get((kind, namespace, name))
            obj = _public(obj) if obj is not None else None
        if obj is None:
            self._send(404, _status(404, "NotFound", f'{kind.lower()}s "{name}" not found'))
        elif sub == "log":
            path = cluster.log_dir / f"{name}.log"
            self._send(200, path.read_text(errors="replace") if path.exists() else "")
        else:
            self._send(200, obj)

    def do_POST(self) -> None:
        if not self._authorized():
            return
        route = self._route()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, _status(400, "BadRequest", "the body is not JSON"))
            return
        if route is None or route[2] is not None:
            self._send(405, _status(405, "MethodNotAllowed", "the server does not allow this method"))
            return
        self.cluster.requests.append(("POST", self.path))
        code, out = self.cluster.create(route[0], route[1], body)
        self._send(code, out)

    def do_DELETE(self) -> None:
        if not self._authorized():
            return
        route = self._route()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if route is None or route[2] is None:
            self._send(405, _status(405, "MethodNotAllowed", "the server does not allow this method"))
            return
        self.cluster.requests.append(("DELETE", self.path))
        options = json.loads(raw) if raw else {}
        propagation = (route[4].get("propagationPolicy") or [options.get("propagationPolicy") or "Background"])[0]
        code, out = self.cluster.delete(route[0], route[1], route[2], propagation)
        self._send(code, out)

    def _discovery(self) -> dict[str, Any]:
        versions = {"batch": "v1", "kubeflow.org": "v1", "frameworkcontroller.microsoft.com": "v1",
                    "trainer.kubeflow.org": "v1alpha1"}
        groups = []
        for group in self.cluster.served_groups:
            gv = {"groupVersion": f"{group}/{versions[group]}", "version": versions[group]}
            groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _stream_watch(self, kind: str, namespace: str, selector: dict[str, str], query: dict[str, list[str]]) -> None:
        since_text = (query.get("resourceVersion") or [""])[0]
        since = int(since_text) if since_text.isdigit() else None
        bookmarks = (query.get("allowWatchBookmarks") or ["false"])[0].lower() in ("true", "1")
        timeout = float((query.get("timeoutSeconds") or ["300"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in self.cluster.watch(kind, namespace, selector, since, bookmarks, timeout):
                if event is None:  # cut the connection mid-stream, as a dropped connection would
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = (json.dumps(event) + "\n").encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
