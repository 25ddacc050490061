"""nnictl experiment {show|status|list|delete|export|import}, trial {ls|kill}, log, top."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import click

from ._common import (
    CliError,
    console,
    echo_json,
    fmt_duration,
    fmt_time,
    handle_errors,
    open_reader,
    resolve,
    text_table,
)

__all__ = ["register"]


def _metric_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        main = value.get("default")
        return f"{main:.6g}" if isinstance(main, int | float) else json.dumps(value)
    return f"{value:.6g}" if isinstance(value, int | float) else str(value)


def _ms(value: Any) -> float | None:
    return value / 1000 if isinstance(value, int | float) else None


def _experiments_table(entries: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title=None)
    for col in ("id", "name", "status", "port", "platform", "started", "ended"):
        table.add_column(col)
    for e in entries:
        table.add_row(e["id"], e.get("experimentName") or "", e.get("status") or "", str(e.get("port") or ""),
                      e.get("platform") or "", fmt_time(_ms(e.get("startTime"))), fmt_time(_ms(e.get("endTime"))))
    return table


def _pareto_of(reader: Any, experiment_id: str, *, required: bool = True, reference: str | None = None) -> Any:
    """The experiment's ``nni.analysis.ParetoFront`` (None, or an error when ``required``, for one objective)."""
    from nni.analysis.objectives import ObjectiveSpec, pareto_front, require_objectives

    profile = reader.profile()
    config = profile.config if profile else None
    if not required and ObjectiveSpec.from_config(config) is None:
        return None
    spec = require_objectives(config, experiment_id)
    return pareto_front(spec, reader.trials(), reference=spec.parse_reference(reference), history_points=0)


def _pareto_text(front: Any, experiment_id: str, every_trial: bool) -> str:
    spec, counts = front.spec, front.counts()
    arrows = [f"{o.name} {'↑' if o.maximize else '↓'}" for o in spec.objectives]
    points = front.points if every_trial else front.pareto_set
    labels = front.labels()
    headers = ["trial", "#", "status", *arrows, *(c.name for c in spec.constraints), "place"]
    rows = [[p.trial_job_id, str(p.sequence_id), p.status, *("-" if v is None else f"{v:.6g}" for v in p.values),
             *("-" if p.constraints[c.name] is None else f"{p.constraints[c.name]:.6g}" for c in spec.constraints),
             labels[p.trial_job_id] + (f" (violation {p.violation:.4g})" if p.violation else "")] for p in points]
    lines = [f"Pareto set of experiment {experiment_id}: {counts['pareto']} trials "
             f"({counts['feasible']} feasible, {counts['infeasible']} infeasible, {counts['invalid']} invalid "
             f"of {counts['results']} results)"]
    if front.reference is not None:
        lines.append(f"hypervolume {front.hypervolume:.6g} with reference point "
                     f"({', '.join(f'{v:.6g}' for v in front.reference)})")
    lines.append(text_table(headers, rows) if rows else "no feasible trial yet")
    return "\n".join(lines)


def register(cli: click.Group) -> None:  # noqa: C901 - one nested function per command
    @cli.group()
    def experiment() -> None:
        """Show, list, delete, export and import experiments."""

    @experiment.command("show")
    @click.argument("experiment_id", required=False)
    @handle_errors
    def experiment_show(experiment_id: str | None) -> None:
        """The experiment's profile (NNI's GET /experiment) as JSON."""
        from nni.rest import profile_json_from_reader

        target = resolve(experiment_id)
        with open_reader(target) as reader:
            echo_json(profile_json_from_reader(reader, live=target.running))

    @experiment.command("status")
    @click.argument("experiment_id", required=False)
    @click.option("--json", "as_json", is_flag=True)
    @handle_errors
    def experiment_status(experiment_id: str | None, as_json: bool) -> None:
        """Status, trial counts, and the error with its traceback when the experiment failed."""
        target = resolve(experiment_id)
        with open_reader(target) as reader:
            profile = reader.profile()
            counts = reader.status_counts()
        status = profile.status if profile else "INITIALIZED"
        if target.entry.get("status") == "VIEWED" and target.running:
            status = "VIEWED"
        out = {"id": target.experiment_id, "status": status, "running": target.running,
               "errors": [profile.error] if profile and profile.error else [],
               "traceback": profile.traceback if profile else None, "trials": counts}
        if as_json:
            echo_json(out)
            return
        click.echo(f"experiment {target.experiment_id}: {status}" + ("" if target.running else " (no manager running)"))
        click.echo("trials: " + (", ".join(f"{s} {n}" for s, n in sorted(counts.items())) or "none"))
        if out["errors"]:
            click.echo(f"error: {out['errors'][0]}")
        if out["traceback"]:
            click.echo(out["traceback"].rstrip())

    @experiment.command("list")
    @click.option("--all", "show_all", is_flag=True, help="also stopped experiments")
    @click.option("--json", "as_json", is_flag=True)
    @handle_errors
    def experiment_list(show_all: bool, as_json: bool) -> None:
        """Experiments of this machine (running ones unless --all)."""
        from nni.launcher import list_experiments

        entries = [e for e in list_experiments() if show_all or manager_alive(e)]
        if as_json:
            echo_json(entries)
        elif not entries:
            click.echo("No experiment is running." + ("" if show_all else " (nnictl experiment list --all shows all)"))
        else:
            console().print(_experiments_table(entries))

    @experiment.command("delete")
    @click.argument("experiment_id", required=False)
    @click.option("--all", "delete_all", is_flag=True, help="every stopped experiment")
    @click.option("--yes", "-y", is_flag=True, help="do not ask")
    @handle_errors
    def experiment_delete(experiment_id: str | None, delete_all: bool, yes: bool) -> None:
        """Delete stopped experiments: their folders and registry entries."""
        from nni.launcher import Registry, entry_folder, list_experiments
        from nni.launcher._secrets import delete_secrets

        if delete_all:
            targets = [e for e in list_experiments() if not manager_alive(e)]
        else:
            if experiment_id is None:
                raise CliError("say which experiment to delete (or --all)")
            target = resolve(experiment_id)
            if target.running:
                raise CliError(f"experiment {target.experiment_id} is running; stop it first: nnictl stop {target.experiment_id}")
            targets = [target.entry]
        if not targets:
            click.echo("Nothing to delete.")
            return
        if not yes and not click.confirm(f"Delete {len(targets)} experiment(s) and their folders?", default=False):
            raise CliError("not deleted")
        registry = Registry()
        for entry in targets:
            folder = entry_folder(entry)
            if folder is not None and folder.is_dir():
                shutil.rmtree(folder)
            registry.remove(entry["id"])
            delete_secrets(entry["id"])
            click.echo(f"Deleted experiment {entry['id']}.")

    @experiment.command("export")
    @click.argument("experiment_id", required=False)
    @click.option("--filename", "-f", required=True, type=click.Path(dir_okay=False), help="output file")
    @click.option("--type", "-t", "kind", type=click.Choice(["csv", "json"]), required=True)
    @click.option("--intermediate", "-i", is_flag=True, help="include intermediate results (JSON)")
    @handle_errors
    def experiment_export(experiment_id: str | None, filename: str, kind: str, intermediate: bool) -> None:
        """Export trial results (parameters and metrics) from the store; no server needed. With several
        objectives: one column per objective (first among the metrics) and each trial's place (pareto,
        dominated, infeasible, invalid)."""
        from nni.storage import write_csv, write_json

        target = resolve(experiment_id)
        with open_reader(target) as reader:
            front = _pareto_of(reader, target.experiment_id, required=False)
            extra = {"pareto": front.labels()} if front is not None else None
            if kind == "csv":
                firsts = front.spec.names if front is not None else ("default",)
                write_csv(reader, filename, metric_keys_first=firsts, extra_columns=extra)
            else:
                write_json(reader, filename, intermediate=intermediate, extra_columns=extra)
        click.echo(f"Exported experiment {target.experiment_id} to {filename} ({kind}).")

    @experiment.command("pareto")
    @click.argument("experiment_id", required=False)
    @click.option("--json", "as_json", is_flag=True, help="the REST route's JSON (GET /pareto-front)")
    @click.option("--all", "every_trial", is_flag=True, help="every trial with a final result, not only the set")
    @click.option("--reference", default=None, help="hypervolume reference point, one number per objective: 0.5,120")
    @handle_errors
    def experiment_pareto(experiment_id: str | None, as_json: bool, every_trial: bool, reference: str | None) -> None:
        """The Pareto set of an experiment with several objectives (from the store; no server needed)."""
        target = resolve(experiment_id)
        with open_reader(target) as reader:
            front = _pareto_of(reader, target.experiment_id, reference=reference)
        assert front is not None
        if as_json:
            echo_json(front.as_json(every_trial=every_trial))
            return
        click.echo(_pareto_text(front, target.experiment_id, every_trial))

    @experiment.command("import")
    @click.argument("experiment_id", required=False)
    @click.option("--filename", "-f", required=True, type=click.Path(exists=True, dir_okay=False),
                  help='JSON list of {"parameter": {...}, "value": metric}')
    @handle_errors
    def experiment_import(experiment_id: str | None, filename: str) -> None:
        """Give a running experiment's tuner earlier results."""
        try:
            data = json.loads(Path(filename).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CliError(f"{filename}: not valid JSON ({exc})") from None
        if not isinstance(data, list) or not all(isinstance(d, dict) and "parameter" in d and "value" in d for d in data):
            raise CliError(f'{filename}: expected a JSON list of {{"parameter": {{...}}, "value": metric}}')
        target = resolve(experiment_id, need_running=True)
        with target.client() as client:
            client.import_data(data)
        click.echo(f"Imported {len(data)} results into experiment {target.experiment_id}.")

    @cli.group()
    def trial() -> None:
        """List and kill trials."""

    @trial.command("ls")
    @click.argument("experiment_id", required=False)
    @click.option("--head", type=int, default=None, help="the first N trials by sequence id")
    @click.option("--tail", type=int, default=None, help="the last N trials by sequence id")
    @click.option("--status", default=None, help="only trials of this status")
    @click.option("--json", "as_json", is_flag=True, help="NNI's trial-jobs JSON")
    @handle_errors
    def trial_ls(experiment_id: str | None, head: int | None, tail: int | None, status: str | None,
                 as_json: bool) -> None:
        """Trials with status, parameters, final metric and why a waiting trial waits."""
        from nni.rest import trial_jobs_from_reader

        target = resolve(experiment_id)
        with open_reader(target) as reader:
            if as_json:
                echo_json(trial_jobs_from_reader(reader, status=status, head=head, tail=tail))
                return
            total = reader.trial_count(status)
            offset, limit = (0, head) if head is not None else (max(total - tail, 0), tail) if tail else (0, None)
            records = reader.trials(status=status, offset=offset, limit=limit)
        _print_trials(records)

    @trial.command("kill")
    @click.argument("experiment_id", required=False)
    @click.option("--trial_id", "-T", required=True, help="the trial job id")
    @handle_errors
    def trial_kill(experiment_id: str | None, trial_id: str) -> None:
        """Kill a trial (USER_CANCELED)."""
        target = resolve(experiment_id, need_running=True)
        with target.client() as client:
            client.kill_trial(trial_id)
        click.echo(f"Killed trial {trial_id} of experiment {target.experiment_id}.")

    @cli.group()
    def log() -> None:
        """The manager's logs and trials' output."""

    from nni.launcher import MANAGER_LOG, STDERR_LOG, manager_alive

    def _show(path: Path, head: int | None, tail: int | None, only_path: bool) -> None:
        if only_path:
            click.echo(str(path))
            return
        if not path.is_file():
            raise CliError(f"{path} does not exist (yet)")
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if head:
            lines = lines[:head]
        if tail:
            lines = lines[-tail:]
        click.echo("\n".join(lines))

    # stdout shows the manager's log (what NNI's manager prints); stderr the manager process's own stderr
    for stream, filename in (("stdout", MANAGER_LOG.name), ("stderr", STDERR_LOG.name)):
        @log.command(stream, help=f"The manager process's {stream} log ({filename}).")
        @click.argument("experiment_id", required=False)
        @click.option("--head", "-H", type=int, default=None)
        @click.option("--tail", "-T", type=int, default=None)
        @click.option("--path", "-p", "only_path", is_flag=True, help="print the file's path only")
        @handle_errors
        def _log_cmd(experiment_id: str | None, head: int | None, tail: int | None, only_path: bool,
                     _filename: str = filename) -> None:
            target = resolve(experiment_id)
            _show(target.folder / "log" / _filename, head, tail, only_path)

    @log.command("trial")
    @click.argument("experiment_id", required=False)
    @click.option("--trial_id", "-T", required=True)
    @click.option("--name", "-n", default="stdout", show_default=True, help="stdout, stderr, trial.log...")
    @click.option("--head", "-H", type=int, default=None)
    @click.option("--tail", type=int, default=None)
    @click.option("--path", "-p", "only_path", is_flag=True, help="print the trial folder's path only")
    @handle_errors
    def log_trial(experiment_id: str | None, trial_id: str, name: str, head: int | None, tail: int | None,
                  only_path: bool) -> None:
        """A trial's output (its folder with --path)."""
        target = resolve(experiment_id)
        with open_reader(target) as reader:
            record = reader.trial(trial_id)
        if record is None:
            raise CliError(f"experiment {target.experiment_id} has no trial {trial_id!r} (nnictl trial ls lists them)")
        folder = target.folder / "trials" / trial_id
        if not folder.is_dir() and record.handle and record.handle.get("trial_dir"):
            folder = Path(record.handle["trial_dir"])
        if only_path:
            click.echo(str(folder))
            return
        _show(folder / name, head, tail, False)

    @cli.command()
    @click.option("--time", "-t", "interval", type=float, default=3.0, show_default=True, help="refresh every N seconds")
    @click.option("--once", is_flag=True, help="print once and exit")
    @handle_errors
    def top(interval: float, once: bool) -> None:
        """Watch running experiments (Ctrl-C to quit)."""
        from rich.live import Live

        from nni.launcher import list_experiments

        def table() -> Any:
            return _experiments_table([e for e in list_experiments() if manager_alive(e)])

        if once:
            console().print(table())
            return
        try:
            with Live(table(), console=console(), refresh_per_second=1) as live:
                while True:
                    time.sleep(interval)
                    live.update(table())
        except KeyboardInterrupt:
            pass


def _print_trials(records: list[Any]) -> None:
    """The trials table straight from the store's records (no JSON round trip: 10,000 rows in well under 1 s)."""
    rows = []
    now = time.time()
    for r in records:
        duration = fmt_duration(((r.end_time or now) - r.start_time) if r.start_time else None)
        note = r.reason or ""
        if r.status == "WAITING" and not note:
            note = "waiting for a free trial slot"
        rows.append([r.trial_job_id, str(r.sequence_id), r.status, json.dumps(r.parameters),
                     _metric_text(r.final_metric), fmt_time(r.start_time), duration, note])
    headers = ["trial", "seq", "status", "parameters", "final metric", "started", "duration", "note"]
    click.echo(text_table(headers, rows, max_width=80))
