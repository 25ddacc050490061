"""The web UI's trial table and importance on plain rows (logic only; the routes are tested over a real store)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nni.analysis import encode_features, forest_importance
from nni.errors import RequestError
from nni.storage import TrialChanges, TrialRecord
from nni.webui import TableQuery, TrialTable, flatten_parameters


class ListFeed:
    """Trials in a list that changes between refreshes (a fake of the store reader for the table's logic)."""

    def __init__(self, rows: list[TrialRecord]) -> None:
        self.rows = {r.trial_job_id: r for r in rows}
        self.changed: list[str] = list(self.rows)
        self.calls: list[Any] = []

    def trial_changes(self, since_revision: int | None = None, *, intermediate: bool = False) -> TrialChanges:
        self.calls.append(since_revision)
        out = [self.rows[i] for i in self.changed]
        self.changed = []
        return TrialChanges(len(self.calls), out, {})

    def update(self, row: TrialRecord) -> None:
        self.rows[row.trial_job_id] = row
        self.changed.append(row.trial_job_id)


def _row(i: int, status: str = "SUCCEEDED", final: Any = None, **params: Any) -> TrialRecord:
    return TrialRecord(trial_job_id=f"t{i:04d}", sequence_id=i, parameter_id=i, status=status,
                       parameters=params or {"lr": 0.1 * (i + 1)}, parameter_source="algorithm", submit_time=999.0,
                       start_time=1000.0 + i, end_time=1010.0 + 2 * i, final_metric=final)


@pytest.fixture
def table() -> tuple[TrialTable, ListFeed]:
    rows = [
        _row(0, final={"default": 0.5, "loss": 0.9}, lr=0.1, opt={"_name": "sgd", "m": 0.9}),
        _row(1, final=0.9, lr=0.01, opt={"_name": "adam"}),
        _row(2, status="FAILED", lr=0.3, opt={"_name": "sgd", "m": 0.5}),
        _row(3, status="RUNNING", lr=0.2, opt={"_name": "adam"}),
        _row(4, final=0.7, lr=0.05, opt={"_name": "sgd", "m": 0.1}),
    ]
    source = ListFeed(rows)
    t = TrialTable(source, min_refresh_interval=0)
    t.refresh()
    return t, source


def test_flatten_nested_choice_and_lists() -> None:
    assert flatten_parameters({"a": 1, "opt": {"_name": "sgd", "m": 0.9}, "l": [1, 2]}) == {
        "a": 1, "opt/_name": "sgd", "opt/m": 0.9, "l": "[1, 2]"}


def test_columns_include_parameters_and_metric_keys(table) -> None:
    t, _ = table
    cols = t.columns()
    assert {"param:lr", "param:opt/_name", "param:opt/m", "metric:loss", "default"} <= set(cols)


def test_sort_by_metric_puts_missing_last_both_ways(table) -> None:
    t, _ = table
    desc = t.ordered_ids(TableQuery(sort="default", descending=True))
    asc = t.ordered_ids(TableQuery(sort="default"))
    assert desc[:3] == ["t0001", "t0004", "t0000"]
    assert asc[:3] == ["t0000", "t0004", "t0001"]
    assert set(desc[3:]) == set(asc[3:]) == {"t0002", "t0003"}


def test_sort_by_parameter_short_name(table) -> None:
    t, _ = table
    assert t.ordered_ids(TableQuery(sort="lr"))[0] == "t0001"


def test_filters_status_search_and_values(table) -> None:
    t, _ = table
    assert t.ordered_ids(TableQuery(statuses=("SUCCEEDED",))) == ["t0000", "t0001", "t0004"]
    assert t.ordered_ids(TableQuery(search="adam")) == ["t0001", "t0003"]
    assert t.ordered_ids(TableQuery(filters="default >= 0.6; lr < 0.06")) == ["t0001", "t0004"]
    assert t.ordered_ids(TableQuery(filters="opt/_name = sgd")) == ["t0000", "t0002", "t0004"]
    assert t.ordered_ids(TableQuery(filters="loss > 0.5")) == ["t0000"]


def test_unknown_column_and_bad_filter_say_what_is_expected(table) -> None:
    t, _ = table
    with pytest.raises(RequestError, match="unknown column 'nope'.*lr"):
        t.ordered_ids(TableQuery(filters="nope > 1"))
    with pytest.raises(RequestError, match="expected COLUMN OP VALUE"):
        t.ordered_ids(TableQuery(filters="lr"))


def test_page_is_compact_rows(table) -> None:
    t, _ = table
    page = t.page(TableQuery(sort="default", descending=True), 1, 2, ["id", "default", "duration"])
    assert page["total"] == 5 and page["offset"] == 1
    assert page["rows"] == [["t0004", 0.7, 14.0], ["t0000", 0.5, 10.0]]


def test_changed_since_returns_only_changed_trials(table) -> None:
    t, source = table
    rev = t.revision
    assert t.changed_since(rev) == []
    source.update(_row(3, status="SUCCEEDED", final=0.95, lr=0.2, opt={"_name": "adam"}))
    source.update(_row(5, status="WAITING", lr=0.4))
    new_rev = t.refresh(force=True)
    assert new_rev > rev
    assert t.changed_since(rev) == ["t0003", "t0005"]
    assert source.calls[-1] == 1  # the source was asked for changes after its cursor, not for everything
    assert t.best(True, 1) == ["t0003"]
    assert t.status_counts()["SUCCEEDED"] == 4


def test_importance_finds_the_parameter_that_matters() -> None:
    rng = np.random.default_rng(0)
    n = 300
    a, b, c = rng.uniform(size=n), rng.uniform(size=n), rng.choice(["x", "y"], size=n)
    y = 3 * a + rng.normal(0, 0.05, size=n) + np.where(c == "x", 0.5, 0)
    columns = [list(a), [None if i % 2 else v for i, v in enumerate(b)], list(c)]
    X = encode_features(columns)
    assert X.shape == (n, 3)
    imp = forest_importance(X, y, trees=8)
    assert imp.argmax() == 0 and imp[2] > imp[1]
    assert abs(imp.sum() - 1) < 1e-9
