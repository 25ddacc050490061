"""Every read route's full answer over the known store, pinned (``pinned_shapes.json``).

NNI's routes and the web UI's read routes answer exactly as recorded; only what depends on the
clock or on the temporary folder is normalised. Regenerate with ``NNI_PIN_SHAPES=1`` only when a
shape is meant to change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

API = "/api/v1/nni"
UI = API + "/webui"
PINNED = Path(__file__).with_name("pinned_shapes.json")
_CLOCK = {"execDuration", "now", "elapsed"}


def _normalise(value: Any, folder: str, clock: set[str] = _CLOCK) -> Any:
    if isinstance(value, dict):
        return {k: ("<clock>" if k in clock else _normalise(v, folder, clock)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, folder, clock) for v in value]
    if isinstance(value, str):
        return value.replace(folder, "<DIR>") if folder else value
    return value


def _running_duration(page: dict[str, Any]) -> dict[str, Any]:
    """A running trial's duration grows with the clock."""
    cols = page["columns"]
    if "duration" in cols and "status" in cols:
        d, s = cols.index("duration"), cols.index("status")
        for row in page["rows"]:
            if row[s] == "RUNNING":
                row[d] = "<clock>"
    return page


def _snapshot(client: Any, folder: Path) -> dict[str, Any]:
    get = lambda path, **params: client.get(path, params=params).json()  # noqa: E731
    out: dict[str, Any] = {
        "experiment": get(f"{API}/experiment"),
        "check-status": get(f"{API}/check-status"),
        "trial-jobs": get(f"{API}/trial-jobs"),
        "trial-jobs?status=RUNNING": get(f"{API}/trial-jobs", status="RUNNING"),
        "trial-jobs/aaaaa": get(f"{API}/trial-jobs/aaaaa"),
        "trial-jobs/ddddd": get(f"{API}/trial-jobs/ddddd"),
        "job-statistics": get(f"{API}/job-statistics"),
        "metric-data": get(f"{API}/metric-data"),
        "metric-data/aaaaa": get(f"{API}/metric-data/aaaaa"),
        "metric-data-latest": get(f"{API}/metric-data-latest"),
        "export-data": get(f"{API}/export-data"),
        "experiment-metadata": get(f"{API}/experiment-metadata"),
        "experiment/imported-data": get(f"{API}/experiment/imported-data"),
        "metric-data?type=FINAL": get(f"{API}/metric-data", type="FINAL"),
        "metric-data/aaaaa?type=PERIODICAL": get(f"{API}/metric-data/aaaaa", type="PERIODICAL"),
        "metric-data-range/0/1": get(f"{API}/metric-data-range/0/1"),
        "errors": {
            "trial-jobs/nope1": get(f"{API}/trial-jobs/nope1"),
            "trial-jobs?status=BOGUS": get(f"{API}/trial-jobs", status="BOGUS"),
            "metric-data?type=BOGUS": get(f"{API}/metric-data", type="BOGUS"),
            "metric-data-range/3/1": get(f"{API}/metric-data-range/3/1"),
            "webui/trials?order=sideways": get(f"{UI}/trials", order="sideways"),
            "webui/trials?filter=bogus": get(f"{UI}/trials", filter="bogus < 1"),
            "webui/trial/nope1": get(f"{UI}/trial/nope1"),
            "webui/summary?exp=bad id": get(f"{UI}/summary", exp="bad id"),
            "webui/export?format=xml": get(f"{UI}/export", format="xml"),
            "webui/summary?exp=nosuch1": get(f"{UI}/summary", exp="nosuch1"),
        },
    }
    assert out["experiment-metadata"]["logDir"] == str(folder.parent)  # NNI's registry: the working directory
    out["experiment-metadata"]["logDir"] = "<DIR>/.."
    summary = get(f"{UI}/summary")
    summary["top"] = _running_duration(summary["top"])
    out["webui/summary"] = summary
    out["webui/trials"] = _running_duration(get(f"{UI}/trials", sort="default", order="desc"))
    out["webui/trials?ids"] = _running_duration(get(f"{UI}/trials", ids="ccccc,aaaaa", columns="id,latest,x"))
    updates = get(f"{UI}/updates", since=1)
    updates["summary"]["top"] = _running_duration(updates["summary"]["top"])
    out["webui/updates?since=1"] = _running_duration(updates)
    out["webui/columns"] = get(f"{UI}/columns", names="id,default,latest,param:x")
    out["webui/intermediate"] = get(f"{UI}/intermediate", ids="aaaaa,ccccc", top=2)
    trial = get(f"{UI}/trial/aaaaa")
    out["webui/trial/aaaaa"] = trial
    out["webui/export?format=json"] = get(f"{UI}/export", format="json")
    out["webui/export?format=csv"] = client.get(f"{UI}/export", params={"format": "csv", "status": "SUCCEEDED,FAILED,WAITING"}).text.splitlines()
    out["webui/importance"] = {k: v for k, v in get(f"{UI}/importance").items() if k != "seconds"}
    # the web UI's table revisions count its refreshes: not part of a shape
    return _normalise({k: _normalise(v, "", {"revision"}) if k.startswith("webui/") else v for k, v in out.items()},
                      str(folder))


def test_read_routes_answer_as_pinned(view_client, filled_dir: Path) -> None:
    got = json.loads(json.dumps(_snapshot(view_client, filled_dir)))
    if os.environ.get("NNI_PIN_SHAPES"):
        PINNED.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    expected = json.loads(PINNED.read_text())
    for key in expected:
        assert got[key] == expected[key], key
    assert set(got) == set(expected)
