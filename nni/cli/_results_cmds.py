"""nnictl experiment {best | compare | mlflow}: answers read from the stores (no server needed)."""

from __future__ import annotations

import json
from typing import Any

import click

from ._common import CliError, echo_json, fmt_duration, handle_errors, open_reader, resolve, text_table

__all__ = ["register"]


def _results(experiment_id: str | None) -> Any:
    from nni.analysis import ResultColumns

    target = resolve(experiment_id)
    with open_reader(target) as reader:
        return ResultColumns.from_store(reader)


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.6g}"


def _best_text(results: Any, best: list[Any]) -> str:
    if not best:
        return f"Experiment {results.experiment_id} has no trial with a final result yet."
    lines = [f"Best of experiment {results.experiment_id} ({results.mode} the default metric; "
             f"{len(results.with_result)} of {len(results)} trials have a result):"]
    rows = [[str(b.rank), b.trial_job_id, str(b.sequence_id), b.status, _number(b.value),
             json.dumps(b.parameters, sort_keys=True)] for b in best]
    lines.append(text_table(["rank", "trial", "#", "status", "value", "parameters"], rows, max_width=200))
    lines.append("To run them again: `nnictl experiment best ID --json > best.json`, then "
                 "`nnictl experiment import NEW_ID -f best.json` (warm start) or a customized trial with a "
                 "'parameter' of the file.")
    return "\n".join(lines)


def _compare_text(comparison: dict[str, Any]) -> str:
    rows = [[e["id"], e["name"] or "-", e["status"] or "-", e["mode"], str(e["trials"]), str(e["withResult"]),
             _number(e["best"]), f"{e['bestTrial']} (#{e['bestSeq']})" if e["bestTrial"] else "-",
             fmt_duration(e["secondsToBest"]), _number(e["median"]),
             "-" if e["q25"] is None else f"{e['q25']:.4g} .. {e['q75']:.4g}"]
            for e in comparison["experiments"]]
    lines = [text_table(["experiment", "name", "status", "mode", "trials", "results", "best", "best trial",
                         "time to best", "median", "middle half"], rows)]
    for note in comparison["notes"]:
        lines.append(f"note: {note}")
    shared = comparison["sharedParameters"]
    lines.append(f"shared parameters: {', '.join(shared) if shared else 'none'}")
    diff = comparison["configDiff"]
    if diff:
        ids = [e["id"] for e in comparison["experiments"]]
        lines.append("config differences:")
        lines.append(text_table(["key", *ids], [[d["key"], *("(absent)" if v is None else v for v in d["values"])]
                                                for d in diff]))
    else:
        lines.append("configs: identical")
    return "\n".join(lines)


def register(experiment: click.Group) -> None:
    @experiment.command("best")
    @click.argument("experiment_id", required=False)
    @click.option("--top", "-k", type=click.IntRange(min=1), default=1, show_default=True, help="how many trials")
    @click.option("--json", "as_json", is_flag=True,
                  help='a JSON list of {"parameter", "value", ...}: what `nnictl experiment import` reads')
    @handle_errors
    def experiment_best(experiment_id: str | None, top: int, as_json: bool) -> None:
        """The best trials by the default final metric, with their parameters (from the store)."""
        from nni.analysis import best_trials

        results = _results(experiment_id)
        best = best_trials(results, top)
        if as_json:
            echo_json([b.as_json() for b in best])
            return
        click.echo(_best_text(results, best))

    @experiment.command("compare")
    @click.argument("experiment_ids", nargs=-1, required=True)
    @click.option("--json", "as_json", is_flag=True, help="the whole comparison (what the web UI draws) as JSON")
    @handle_errors
    def experiment_compare(experiment_ids: tuple[str, ...], as_json: bool) -> None:
        """Two or more experiments side by side: best, median, time to best, config differences."""
        from nni.analysis import compare

        if len(experiment_ids) < 2:
            raise CliError(f"compare needs two or more experiment ids, got {len(experiment_ids)}: "
                           "nnictl experiment compare ID ID ...")
        comparison = compare([_results(i) for i in experiment_ids])
        if as_json:
            echo_json(comparison)
            return
        click.echo(_compare_text(comparison))

    @experiment.command("mlflow")
    @click.argument("experiment_id", required=False)
    @click.option("--tracking-uri", "--tracking_uri", "tracking_uri", default=None,
                  help="MLflow tracking store: sqlite:///mlflow.db, http://host:5000 (default: MLflow's own default)")
    @click.option("--mlflow-experiment", "--mlflow_experiment", "mlflow_experiment", default=None,
                  help="MLflow experiment to write into (default: nni-<experiment id>)")
    @click.option("--no-artifacts", is_flag=True, help="do not copy the trials' folders as artifacts")
    @handle_errors
    def experiment_mlflow(experiment_id: str | None, tracking_uri: str | None, mlflow_experiment: str | None,
                          no_artifacts: bool) -> None:
        """Export the trials as MLflow runs: parameters, intermediate results as steps, final result, status, files
        (needs pip install 'nni[mlflow]')."""
        from nni.experiment.mlflow import export_to_mlflow

        target = resolve(experiment_id)
        done = export_to_mlflow(target.folder, tracking_uri=tracking_uri, mlflow_experiment=mlflow_experiment,
                                artifacts=not no_artifacts)
        click.echo(f"Exported experiment {target.experiment_id} to MLflow experiment {done.mlflow_experiment!r} "
                   f"(id {done.mlflow_experiment_id}) at {done.tracking_uri}: {done.written} runs written, "
                   f"{done.kept} already there.")
