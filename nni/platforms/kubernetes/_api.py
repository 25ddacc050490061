"""The cluster connection: credentials from the user's kubeconfig or the pod's service account (read by the
official client, never copied, stored or logged), and :class:`ResourceFollower`, the list-then-watch loop
that follows one kind of object by label and survives dropped watches, 410 Gone and API server restarts."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nni.errors import ConfigError, NNIError

__all__ = ["KubernetesError", "connect", "require_client", "ResourceFollower"]

_log = logging.getLogger(__name__)

_INSTALL_HINT = 'pip install "nni[kubernetes]"'


class KubernetesError(NNIError):
    """The Kubernetes API refused a request or cannot be reached."""


def require_client() -> Any:
    """The official ``kubernetes`` package, or a ``ConfigError`` saying how to install it."""
    try:
        import kubernetes
    except ImportError:
        raise ConfigError(f"the Kubernetes platforms need the official kubernetes Python client, which is not "
                          f"installed; run: {_INSTALL_HINT}", key="trainingService.platform") from None
    return kubernetes


def _kubeconfig_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    for candidate in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if candidate and Path(candidate).expanduser().is_file():
            return Path(candidate).expanduser()
    default = Path("~/.kube/config").expanduser()
    return default if default.is_file() else None


def connect(kubeconfig: str | None = None, context: str | None = None) -> Any:
    """An ``ApiClient`` of the official client for the cluster: from ``kubeconfig`` (or ``$KUBECONFIG``,
    ``~/.kube/config``), else the in-cluster service account. Raises ``ConfigError`` naming where it looked
    (never what the file holds)."""
    require_client()
    from kubernetes import client, config

    configuration = client.Configuration()
    path = _kubeconfig_path(kubeconfig)
    try:
        if path is not None:
            config.load_kube_config(config_file=str(path), context=context, client_configuration=configuration,
                                    persist_config=False)
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)
        else:
            raise ConfigError("no Kubernetes credentials found: no kubeconfig (looked at $KUBECONFIG and ~/.kube/config) "
                              "and not running in a cluster pod; give trainingService.kubeconfig or run where kubectl "
                              "works", key="trainingService.kubeconfig")
    except (config.ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
        where = str(path) if path is not None else "the in-cluster service account"
        # the exception text names the missing part, never a credential
        raise ConfigError(f"cannot use the Kubernetes credentials of {where}"
                          f"{f' (context {context!r})' if context else ''}: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200] if str(exc) else 'invalid'}; check it with "
                          "kubectl config view", key="trainingService.kubeconfig") from None
    return client.ApiClient(configuration)


def api_error_text(exc: BaseException) -> str:
    """One line from an ``ApiException`` (the Status message the API server sent) or a connection error."""
    body = getattr(exc, "body", None)
    if body:
        try:
            status = json.loads(body)
            return f"{status.get('reason') or getattr(exc, 'reason', '')} ({getattr(exc, 'status', '?')}): " \
                   f"{status.get('message', '')}"
        except (ValueError, TypeError, AttributeError):
            pass
    if getattr(exc, "status", None):
        return f"{getattr(exc, 'reason', '')} ({exc.status})"  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


class ResourceFollower:
    """Follows the objects ``list_fn`` lists (a namespaced list call of the official client, with the label
    selector already bound): one list, then a watch from its resourceVersion with bookmarks.

    ``on_resync(items)`` gets the whole current set after each list (the first one and after a 410 Gone,
    which means the server no longer holds the history to resume from); ``on_event(type, object)`` gets
    each ADDED / MODIFIED / DELETED. A dropped watch resumes from the last resourceVersion seen (bookmarks
    included); an unreachable API server is retried with a growing delay, reported through ``on_trouble``.
    Objects are the raw JSON dicts the API server sent (camelCase keys)."""

    def __init__(self, *, name: str, list_fn: Callable[..., Any], on_resync: Callable[[list[dict[str, Any]]], None],
                 on_event: Callable[[str, dict[str, Any]], None], on_trouble: Callable[[str], None],
                 watch_seconds: int = 240) -> None:
        self.name = name
        self.list_fn = list_fn
        self.on_resync = on_resync
        self.on_event = on_event
        self.on_trouble = on_trouble
        self.watch_seconds = watch_seconds
        self.resource_version: str | None = None
        self._stopping = threading.Event()
        self._watch: Any = None
        self._thread: threading.Thread | None = None
        self.synced = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"nni-k8s-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following; a watch blocked in a read ends at its next event or bookmark (a daemon thread)."""
        self._stopping.set()
        if self._watch is not None:
            self._watch.stop()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        delay = 0.2
        while not self._stopping.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                self._watch = watch.Watch()
                for event in self._watch.stream(self.list_fn, resource_version=self.resource_version,
                                                allow_watch_bookmarks=True, timeout_seconds=self.watch_seconds,
                                                _request_timeout=(10, self.watch_seconds + 30)):
                    raw = event.get("raw_object") or {}
                    version = (raw.get("metadata") or {}).get("resourceVersion")
                    if version:
                        self.resource_version = version
                    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        self.on_event(event["type"], raw)
                    delay = 0.2
                    if self._stopping.is_set():
                        return
            except ApiException as exc:
                if exc.status == 410:  # the history to resume from is gone: list again
                    _log.info("%s watch: resourceVersion %s expired (410 Gone); listing again", self.name,
                              self.resource_version)
                    self.resource_version = None
                    continue
                self._trouble(f"the API server answered {api_error_text(exc)}", delay)
                delay = min(delay * 2, 10.0)
            except Exception as exc:  # connection refused/reset, read timeout: the server may be restarting
                if self._stopping.is_set():
                    return
                self._trouble(f"the API server cannot be reached ({api_error_text(exc)})", delay)
                delay = min(delay * 2, 10.0)

    def _list(self) -> None:
        response = self.list_fn(_preload_content=False, _request_timeout=(10, 60))
        data = json.loads(response.data)
        self.resource_version = (data.get("metadata") or {}).get("resourceVersion")
        self.on_resync(list(data.get("items") or []))
        self.synced.set()

    def _trouble(self, text: str, delay: float) -> None:
        _log.warning("%s watch: %s; retrying in %.1f s", self.name, text, delay)
        self.on_trouble(text)
        self._stopping.wait(delay)
