"""``nnictl tensorboard {start | stop | list}``: TensorBoard over an experiment's trials (as NNI's nnictl)."""

from __future__ import annotations

import click

from ._common import CliError, echo_json, handle_errors, open_reader, resolve, text_table

__all__ = ["register"]


def _split(values: tuple[str, ...]) -> list[str]:
    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return [] if ids == ["all"] else ids


def register(cli: click.Group) -> None:
    @cli.group()
    def tensorboard() -> None:
        """TensorBoard over the event files trials write under $NNI_OUTPUT_DIR/tensorboard."""

    @tensorboard.command("start")
    @click.argument("experiment_id", required=False)
    @click.option("--trial_id", "-T", "trial_ids", multiple=True,
                  help="a trial job id (repeat it, or give 'id1,id2'); default: every trial that wrote event files")
    @click.option("--port", type=int, default=None, help="TensorBoard's port (default: the first free from 6006)")
    @click.option("--host", default="127.0.0.1", show_default=True, help="the address TensorBoard binds")
    @handle_errors
    def start(experiment_id: str | None, trial_ids: tuple[str, ...], port: int | None, host: str) -> None:
        """Start one TensorBoard over the experiment's trials (running or stopped)."""
        from nni.tensorboard import TensorboardTasks, trial_logs

        target = resolve(experiment_id)
        with open_reader(target) as reader:
            logs = trial_logs(reader, target.folder, _split(trial_ids))
        task = TensorboardTasks(target.folder).start(logs, port=port, host=host)
        click.echo(f"TensorBoard of experiment {target.experiment_id}: {task.url()} "
                   f"(task {task.id}, {len(task.trial_job_ids)} trial(s): {', '.join(task.trial_job_ids)})")
        click.echo(f"Stop it with: nnictl tensorboard stop {target.experiment_id}")

    @tensorboard.command("stop")
    @click.argument("experiment_id", required=False)
    @handle_errors
    def stop(experiment_id: str | None) -> None:
        """Stop the experiment's TensorBoards."""
        from nni.tensorboard import TensorboardTasks

        target = resolve(experiment_id)
        stopped = TensorboardTasks(target.folder).stop_all()
        if not stopped:
            raise CliError(f"experiment {target.experiment_id} has no TensorBoard running "
                           f"(nnictl tensorboard start {target.experiment_id} starts one)")
        for task in stopped:
            click.echo(f"Stopped TensorBoard task {task.id} on port {task.port}")

    @tensorboard.command("list")
    @click.argument("experiment_id", required=False)
    @click.option("--json", "as_json", is_flag=True, help="NNI's tensorboard-tasks JSON")
    @handle_errors
    def list_tasks(experiment_id: str | None, as_json: bool) -> None:
        """The experiment's TensorBoard tasks."""
        from nni.tensorboard import TensorboardTasks

        tasks = TensorboardTasks(resolve(experiment_id).folder).list()
        if as_json:
            echo_json([t.to_json() for t in tasks])
            return
        click.echo(text_table(["id", "status", "url", "trials"],
                              [[t.id, t.status, t.url(), ",".join(t.trial_job_ids)] for t in tasks]))
