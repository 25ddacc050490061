"""The example notebook, executed by a real Jupyter kernel (nbclient + ipykernel): an experiment started,
watched with a progress display updated in its cell, read as a DataFrame, its best trials listed, stopped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nni.testing import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebook" / "quickstart.ipynb"


def _text(output: dict) -> str:
    if output["output_type"] == "stream":
        return output["text"]
    return output.get("data", {}).get("text/plain", "")


def test_the_example_notebook_runs_in_a_real_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("pandas")
    monkeypatch.setenv("NNI_EXPERIMENTS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NNI_EXAMPLE_DIR", str(NOTEBOOK.parent))
    monkeypatch.setenv("NNI_EXAMPLE_PORT", str(free_port()))
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    finally:
        from nni.launcher import list_experiments, stop_experiment

        for entry in list_experiments():
            if entry.get("pid"):
                stop_experiment(entry["id"])
    code = [c for c in notebook.cells if c.cell_type == "code"]
    run_cell = next(c for c in code if "experiment.run(" in c.source)
    displays = [o for o in run_cell.outputs if o["output_type"] == "display_data"]
    assert len(displays) == 1, run_cell.outputs  # one display, updated in place (not one per update)
    html = displays[0]["data"]["text/html"]
    assert 'class="nni-progress"' in html and 'data-done="8"' in html, html
    assert "8 of 8 trials done" in displays[0]["data"]["text/plain"]
    assert _text(next(o for o in run_cell.outputs if o["output_type"] == "execute_result")) == "True"

    frame_cell = next(c for c in code if "trials_dataframe()" in c.source)
    frame = next(o for o in frame_cell.outputs if o["output_type"] == "execute_result")
    assert "text/html" in frame["data"] and "param:optimizer/momentum" in frame["data"]["text/html"]

    best_cell = next(c for c in code if "best_trials(top=3)" in c.source)
    lines = "".join(_text(o) for o in best_cell.outputs).splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    values = [float(line.split()[2]) for line in lines]
    assert values == sorted(values, reverse=True)
