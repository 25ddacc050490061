"""NNI 3.0's own web UI (the static build inside the ``nni==3.0`` wheel), served beside a real experiment of
this project with ``/api`` forwarded to it, renders its overview, trials detail and intermediate results in
Chromium with no failed request and no page error: anything built on NNI's REST API works against this server.

Only this machine's requests count: the build also asks Microsoft's CDN for fonts, which the test refuses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from nni.testing import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "webui"


def _nni3_ui_app(static: Path, api_url: str) -> Any:
    """NNI 3.0's build as NNI's own server serves it (files, else index.html), ``/api`` forwarded to ``api_url``."""
    app = FastAPI()
    client = httpx.AsyncClient(base_url=api_url, trust_env=False, timeout=30)

    @app.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "accept")}
        answer = await client.request(request.method, f"/api/{path}", params=request.query_params,
                                      content=await request.body(), headers=headers)
        return Response(answer.content, status_code=answer.status_code, media_type=answer.headers.get("content-type"))

    @app.get("/{path:path}")
    def files(path: str) -> FileResponse:
        target = (static / path).resolve()
        return FileResponse(target if path and target.is_file() and static in target.parents else static / "index.html")

    return app


@pytest.fixture(scope="module")
def nni3_ui(experiment) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    # trials 0-2 finished, trial 3 running: intermediate results of every kind to draw
    app = _nni3_ui_app(experiment.nni3.static_dir, f"http://127.0.0.1:{experiment.port}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 20, "the NNI 3.0 web UI server to start")
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(10)


class Watched:
    """A page whose failed local requests and page errors are recorded."""

    def __init__(self, browser: Any, base: str, api_routes: set[str]) -> None:
        self.page = browser.new_page(viewport={"width": 1440, "height": 1000})
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.requested: list[str] = []
        self.page.route("https://**", lambda route: route.abort())  # the CDN's fonts: no internet here
        if "/tensorboard-tasks" not in api_routes:
            # NNI 3.0's trials page lists TensorBoard tasks; issue 13 adds that route with TensorBoard itself
            self.page.route("**/api/v1/nni/tensorboard-tasks", lambda route: route.fulfill(json=[]))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda r: self.requested.append(r.url) if r.url.startswith(base) else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                     if r.url.startswith(base) and r.status >= 400 else None)
        self.page.on("requestfailed", lambda r: self.failed.append(f"failed {r.url}") if r.url.startswith(base) else None)

    def check(self) -> None:
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.errors, f"page errors: {self.errors}"


@pytest.fixture
def watched(browser, nni3_ui, experiment) -> Iterator[Watched]:  # type: ignore[no-untyped-def]
    routes = set(experiment.rest(experiment.port, "/openapi.json")["paths"])
    w = Watched(browser, nni3_ui, {p.removeprefix("/api/v1/nni") for p in routes})
    yield w
    w.page.close()


def _wait_text(page: Any, text: str) -> None:
    try:
        page.wait_for_function("text => document.body.innerText.includes(text)", arg=text, timeout=30000)
    except Exception:
        _shot(page, "timeout")
        raise AssertionError(f"{text!r} not on the page: {page.inner_text('body')[:3000]}") from None


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"nni3-{name}.png"), full_page=True)


def test_nni3_overview_shows_the_experiment(watched, nni3_ui, experiment) -> None:  # type: ignore[no-untyped-def]
    page = watched.page
    page.goto(f"{nni3_ui}/oview")
    _wait_text(page, experiment.id)
    body = page.inner_text("body")
    for shown in ("nni3 compat", str(experiment.folder), "trial.py", "Random", "Max trial No.4"):
        assert shown in body, (shown, body[:2000])
    best = max(t.final_metric["default"] for t in experiment.trials() if t.final_metric is not None)
    assert f"{best:.6f}" in body
    # the duration ring shows the running time: execDuration goes on while trial 3 runs (it was frozen at the
    # last trial's end, a second or so after the start); the page re-reads it every 10 s
    page.wait_for_function("""() => {
        const shown = document.querySelector('.circle-progress')?.innerText || '';
        return /min|h|d/.test(shown) || parseInt(shown, 10) >= 3;
    }""", timeout=25000)
    _shot(page, "overview")
    for route in ("/experiment", "/experiment-metadata", "/check-status", "/trial-jobs", "/metric-data"):
        assert any(url.endswith("/api/v1/nni" + route) for url in watched.requested), route
    watched.check()


def test_nni3_trials_detail_and_intermediate_results(watched, nni3_ui, experiment) -> None:  # type: ignore[no-untyped-def]
    page = watched.page
    page.goto(f"{nni3_ui}/detail")
    trials = experiment.trials()
    for trial in trials:
        _wait_text(page, trial.trial_job_id)
    body = page.inner_text("body")
    for trial in trials:
        if trial.final_metric is not None:
            assert f"{trial.final_metric['default']:.6f}".rstrip("0") in body
    _shot(page, "detail")
    page.get_by_text("Intermediate result", exact=True).first.click()
    page.locator("canvas").first.wait_for(timeout=15000)
    page.wait_for_timeout(500)  # the chart draws from the metric data already loaded
    _shot(page, "intermediate")
    watched.check()
