"""Suite-wide: every test that needs a real sshd, a real Slurm or Chromium (its fixture says so) is marked
``slow`` and with its kind, so ``pytest -m "not slow"`` runs only the fast tests. Helpers shared by the
tests live in ``nni.testing`` (``free_port``, ``wait_until``, ``EventLog``, ``Nnictl``, ...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# fixture -> the marker of what it starts
_STARTS = {"ssh_world": "ssh", "slurm_cluster": "slurm", "browser": "browser"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in _STARTS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)
                item.add_marker("slow")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless (the web UI tests, ours and NNI 3.0's). One per test module, not per
    session: Playwright's sync API keeps an asyncio loop running in this thread while it is open, and a
    later module's ``asyncio.run()`` (the remote platform's clean, for one) would fail beside it."""
    from nni.testing import chromium

    try:
        with chromium() as b:
            yield b
    except RuntimeError as exc:
        pytest.fail(str(exc))
