"""The app an experiment's process serves, composed here: NNI's REST API, the web UI, this machine's registry."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._launch import experiment_dir_of, list_experiments
from ._registry import Registry

__all__ = ["RegistryExperiments", "experiment_app"]


class RegistryExperiments:
    """The experiments of this machine's registry (``nni.rest.ExperimentLookup``): ``/experiments-info``
    lists them, the web UI's ``?exp=ID`` opens them."""

    def list(self) -> list[dict[str, Any]]:
        return list_experiments()

    def folder_of(self, experiment_id: str) -> Path:
        return experiment_dir_of(experiment_id)

    def entry(self, experiment_id: str) -> dict[str, Any] | None:
        return Registry().get(experiment_id)


def experiment_app(*, experiment_dir: str | os.PathLike[str], store_reader: Any, control: Any,
                   url_prefix: str = "", token: str | None = None) -> Any:
    """``nni.rest.create_app`` with the web UI and the registry (what ``serve`` and ``nnictl view`` run)."""
    from nni.rest import create_app
    from nni.webui import install

    return create_app(experiment_dir=experiment_dir, store_reader=store_reader, control=control,
                      url_prefix=url_prefix, token=token, experiments=RegistryExperiments(), extensions=[install])
