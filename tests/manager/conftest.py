"""Shared helpers for manager tests: a recording tuner, a config, a manager run in a thread."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nni.errors import NoMoreTrialError
from nni.manager import ExperimentManager
from nni.storage import ExperimentStore
from nni.testing import experiment_config
from nni.testing.fake_platform import FakePlatform
from nni.tuner import Tuner


class RecordingTuner(Tuner):
    """Seeded; gives {"x": random}; records every call in ``calls``; optional limit -> NoMoreTrialError."""

    def __init__(self, seed: int = 0, limit: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.limit = limit
        self.calls: list[tuple[Any, ...]] = []
        self.generated = 0

    def update_search_space(self, search_space: dict[str, Any]) -> None:
        self.calls.append(("space", sorted(search_space)))

    def generate_parameters(self, parameter_id: int, **kwargs: Any) -> dict[str, Any]:
        if self.limit is not None and self.generated >= self.limit:
            raise NoMoreTrialError()
        self.generated += 1
        x = round(self.rng.uniform(0, 1), 6)
        self.calls.append(("gen", parameter_id, x))
        return {"x": x}

    def receive_trial_result(self, parameter_id: int, parameters: dict[str, Any], value: Any, **kwargs: Any) -> None:
        self.calls.append(("recv", parameter_id, value, kwargs.get("customized"), kwargs.get("trial_job_id")))

    def trial_end(self, parameter_id: int, success: bool, **kwargs: Any) -> None:
        self.calls.append(("end", parameter_id, success))

    def import_data(self, data: list[dict[str, Any]]) -> None:
        self.calls.append(("import", len(data)))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == kind]


def make_config(**overrides: Any) -> dict[str, Any]:
    if "tunerConfig" in overrides:  # the config's tuner section (``tuner`` is the instance in harnesses)
        overrides["tuner"] = overrides.pop("tunerConfig")
    return experiment_config(**{"trialCommand": "true", "trialConcurrency": 2, "maxTrialNumber": 4, **overrides})


class Harness:
    """A manager running in a background thread."""

    def __init__(self, tmp: Path, platform: FakePlatform, tuner: Any, *, assessor: Any = None,
                 resume: bool = False, stay_after_done: bool = False, **config: Any) -> None:
        self.dir = tmp
        self.platform = platform
        self.tuner = tuner
        self.store = ExperimentStore(tmp)
        self.manager = ExperimentManager(make_config(**config), tmp, "abcdefgh", store=self.store,
                                         platform=platform, tuner=tuner, assessor=assessor, resume=resume,
                                         stop_grace=5.0, stay_after_done=stay_after_done)
        self.result: str | None = None
        self.abandoned = False  # a "dead" manager left hanging on purpose
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.result = self.manager.run()

    def start(self) -> Harness:
        self.thread.start()
        return self

    def join(self, timeout: float = 20.0) -> str:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the manager did not finish in time"
        assert self.result is not None
        return self.result

    def reader(self):  # type: ignore[no-untyped-def]
        from nni.storage import open_reader

        return open_reader(self.dir)


@pytest.fixture
def harness(tmp_path: Path) -> Callable[..., Harness]:
    made: list[Harness] = []

    def make(platform: FakePlatform | None = None, tuner: Any = None, **kwargs: Any) -> Harness:
        h = Harness(tmp_path / f"exp{len(made)}", platform or FakePlatform(), tuner or RecordingTuner(), **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        if h.thread.is_alive() and not h.abandoned:
            h.manager.request_stop()
            h.thread.join(10)


@pytest.fixture
def tuner_cls() -> type[RecordingTuner]:
    return RecordingTuner
