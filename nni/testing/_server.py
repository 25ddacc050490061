"""``InProcessServer``: an ASGI app (``nni.launcher.experiment_app``) served by uvicorn in a thread, on loopback."""

from __future__ import annotations

import threading
from typing import Any

from nni.testing._net import free_port, wait_until

__all__ = ["InProcessServer"]


class InProcessServer:
    """``with InProcessServer(app) as server: server.url``; uvicorn is stopped on exit."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        wait_until(lambda: self.server.started, 20, "uvicorn to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"
