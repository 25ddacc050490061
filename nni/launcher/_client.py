"""A small REST client of one experiment's manager (what nnictl and ``Experiment`` send changes through)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from nni.errors import RequestError

__all__ = ["RestClient"]


class RestClient:
    """Raises ``nni.errors.RequestError`` with the server's status and reason (``status_code`` None: unreachable)."""

    def __init__(self, port: int, host: str = "127.0.0.1", url_prefix: str = "", token: str | None = None,
                 timeout: float = 30.0) -> None:
        prefix = "/" + url_prefix.strip("/") if url_prefix.strip("/") else ""
        self.base = f"http://{host}:{port}{prefix}/api/v1/nni"
        self.port = port
        headers = {"X-NNI-Token": token} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, trust_env=False)

    @classmethod
    def from_url(cls, web_url: str, timeout: float = 30.0) -> RestClient:
        url = httpx.URL(web_url)
        token = url.params.get("token")
        return cls(url.port or 80, url.host or "127.0.0.1", url.path.rstrip("/"), token, timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, self.base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise RequestError(f"cannot reach the experiment's REST server at {self.base} ({exc}); "
                               "is it running? (nnictl experiment list)", None) from None
        if response.status_code >= 400:
            try:
                message = response.json().get("error") or response.text
            except (ValueError, AttributeError):
                message = response.text
            raise RequestError(message, response.status_code)  # the server's refusal, as it was raised there
        if not response.content:
            return None
        try:
            return response.json()
        except json.JSONDecodeError:
            return response.text

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    # NNI's routes -------------------------------------------------------------------------------------
    def check_status(self) -> dict[str, Any]:
        return self.get("/check-status")

    def profile(self) -> dict[str, Any]:
        return self.get("/experiment")

    def trial_jobs(self, status: str | None = None) -> list[dict[str, Any]]:
        return self.get("/trial-jobs", status=status)

    def trial_job(self, trial_job_id: str) -> dict[str, Any]:
        return self.get(f"/trial-jobs/{trial_job_id}")

    def metric_data(self, trial_job_id: str | None = None) -> list[dict[str, Any]]:
        return self.get(f"/metric-data/{trial_job_id}" if trial_job_id else "/metric-data")

    def export_data(self) -> list[dict[str, Any]]:
        return self.get("/export-data")

    def update(self, update_type: str, key: str, value: Any) -> dict[str, Any]:
        return self.request("PUT", "/experiment", params={"update_type": update_type},
                            json={"params": {key: value}})

    def kill_trial(self, trial_job_id: str) -> None:
        self.request("DELETE", f"/trial-jobs/{trial_job_id}")

    def stop(self) -> None:
        self.request("DELETE", "/experiment")

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self.request("POST", "/experiment/import-data", json=data)
