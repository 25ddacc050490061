"""nnictl create / resume / view / stop / update / webui / config."""

from __future__ import annotations

from typing import Any

import click

from nni._os import require_supported_system

from ._common import CliError, echo_json, handle_errors, open_reader, resolve

__all__ = ["register"]


def _load_config(path: str) -> Any:
    from nni.config import load_config

    return load_config(path)


def _print_started(launched: Any) -> None:
    click.echo("Successfully started experiment!")
    click.echo("-" * 60)
    click.echo(f"The experiment id is {launched.experiment_id}")
    click.echo(f"The Web UI urls are: {launched.url}")
    click.echo("-" * 60)
    click.echo("You can use these commands to get more information about the experiment:")
    for cmd, what in (("nnictl experiment show", "show the information of experiments"),
                      ("nnictl trial ls", "list all of trial jobs"),
                      ("nnictl top", "monitor the status of running experiments"),
                      ("nnictl log stderr", "show stderr log content"),
                      ("nnictl log stdout", "show stdout log content"),
                      ("nnictl stop", "stop an experiment"),
                      ("nnictl webui url", "show the url of the web UI")):
        click.echo(f"  {cmd:<26} {what}")


def _fail_if_error(launched: Any) -> None:
    """An experiment that failed while starting (its tuner raised at once): say so, exit non-zero."""
    from nni.launcher import RestClient

    try:
        with RestClient.from_url(launched.url, timeout=10) as client:
            status = client.check_status()
    except Exception:  # noqa: BLE001 - it answered a moment ago; nothing more to report
        return
    if status.get("status") == "ERROR":
        error = (status.get("errors") or ["see its log"])[0]
        raise CliError(f"experiment {launched.experiment_id} failed: {error} "
                       f"(nnictl experiment status {launched.experiment_id} shows the traceback)")


def _run(start: Any, foreground: bool, port: int, host: str, url_prefix: str, **kwargs: Any) -> None:
    from nni.launcher import web_url

    if not foreground:
        launched = start(port=port, host=host, url_prefix=url_prefix, **kwargs)
        _print_started(launched)
        _fail_if_error(launched)
        return
    from ._progress import ForegroundProgress

    progress = ForegroundProgress(web_url(port, host, url_prefix))
    try:
        launched = start(port=port, host=host, url_prefix=url_prefix, foreground=True, on_tick=progress.tick, **kwargs)
    finally:
        progress.finish()
    click.echo(f"Experiment {launched.experiment_id} ended: {launched.status}.")
    click.echo(f"Its web UI was at {launched.url}; to look at it again: nnictl view {launched.experiment_id}"
               + (f" --port {port}" if port != 8080 else ""))
    click.echo(f"Its folder: {launched.experiment_dir}")
    if launched.status == "ERROR":
        raise SystemExit(1)


_port = click.option("--port", "-p", type=int, default=8080, show_default=True, help="port of the REST server / web UI")
_debug = click.option("--debug", "-d", is_flag=True, help="verbose manager log; tracebacks for errors")
_fg = click.option("--foreground", "-f", is_flag=True, help="stay attached, show progress, stop on Ctrl-C")
_prefix = click.option("--url_prefix", "-u", default="", help="URL path prefix of the REST server and web UI")
_host = click.option("--host", default="127.0.0.1", show_default=True,
                     help="address to bind; anything but loopback requires a token (printed in the URL)")


def register(cli: click.Group) -> None:  # noqa: C901 - one nested function per command
    @cli.command()
    @click.option("--config", "-c", "config_path", required=True, type=click.Path(dir_okay=False),
                  help="experiment config file (YAML or JSON, v2 or legacy v1)")
    @_port
    @_debug
    @_fg
    @_prefix
    @_host
    @click.option("--token", default=None, help="access token for the REST server (default: random when not loopback)")
    @handle_errors
    def create(config_path: str, port: int, debug: bool, foreground: bool, url_prefix: str, host: str,
               token: str | None) -> None:
        """Create a new experiment from a config file."""
        require_supported_system()
        from nni.launcher import create_experiment

        config = _load_config(config_path)
        _run(lambda **kw: create_experiment(config, **kw), foreground, port, host, url_prefix, debug=debug, token=token)

    @cli.command()
    @click.argument("experiment_id")
    @_port
    @_debug
    @_fg
    @_prefix
    @_host
    @click.option("--experiment_dir", "-e", default=None, help="the experiment's folder, if not the registered one")
    @handle_errors
    def resume(experiment_id: str, port: int, debug: bool, foreground: bool, url_prefix: str, host: str,
               experiment_dir: str | None) -> None:
        """Resume a stopped experiment (also after its manager was killed)."""
        require_supported_system()
        from nni.launcher import resume_experiment

        _run(lambda **kw: resume_experiment(experiment_id, experiment_dir=experiment_dir, **kw), foreground, port, host,
             url_prefix, debug=debug)

    @cli.command()
    @click.argument("experiment_id")
    @_port
    @_prefix
    @_host
    @_fg
    @click.option("--experiment_dir", "-e", default=None,
                  help="folder holding the experiment (e.g. copied from another machine)")
    @handle_errors
    def view(experiment_id: str, port: int, url_prefix: str, host: str, foreground: bool,
             experiment_dir: str | None) -> None:
        """Serve a stopped experiment read-only (web UI and REST)."""
        require_supported_system()
        from nni.launcher import view_experiment

        launched = view_experiment(experiment_id, port=port, experiment_dir=experiment_dir, url_prefix=url_prefix,
                                   host=host, foreground=foreground)
        click.echo(f"Viewing experiment {launched.experiment_id} (read-only) at {launched.url}")
        click.echo(f"Stop viewing: nnictl stop {launched.experiment_id}")

    @cli.command()
    @click.argument("experiment_id", required=False)
    @click.option("--all", "-a", "stop_all", is_flag=True, help="stop every running experiment")
    @click.option("--port", "-p", type=int, default=None, help="stop the experiment on this port")
    @handle_errors
    def stop(experiment_id: str | None, stop_all: bool, port: int | None) -> None:
        """Stop a running experiment (the only running one when no id is given)."""
        from nni.launcher import list_experiments, manager_alive, stop_experiment

        running = [e for e in list_experiments() if manager_alive(e)]
        if stop_all:
            ids = [e["id"] for e in running]
        elif port is not None:
            ids = [e["id"] for e in running if e.get("port") == port]
            if not ids:
                raise CliError(f"no running experiment on port {port}")
        else:
            ids = [resolve(experiment_id).experiment_id]
        if not ids:
            click.echo("No experiment is running.")
            return
        for exp_id in ids:
            entry = stop_experiment(exp_id)
            click.echo(f"Stopped experiment {exp_id} ({entry.get('status')}).")

    @cli.group()
    def update() -> None:
        """Change a running experiment: search space, concurrency, duration, max trial number."""

    def _update(experiment_id: str | None, update_type: str, key: str, value: Any, what: str) -> None:
        target = resolve(experiment_id, need_running=True)
        with target.client() as client:
            client.update(update_type, key, value)
        click.echo(f"Updated {what} of experiment {target.experiment_id} to {value if key != 'searchSpace' else 'the new space'}.")

    @update.command("searchspace")
    @click.argument("experiment_id", required=False)
    @click.option("--filename", "-f", required=True, type=click.Path(exists=True, dir_okay=False),
                  help="the new search space file (JSON or YAML)")
    @handle_errors
    def update_searchspace(experiment_id: str | None, filename: str) -> None:
        from nni.search_space import load

        _update(experiment_id, "SEARCH_SPACE", "searchSpace", load(filename), "the search space")

    @update.command("concurrency")
    @click.argument("experiment_id", required=False)
    @click.option("--value", "-v", required=True, type=click.IntRange(min=1), help="trials at once")
    @handle_errors
    def update_concurrency(experiment_id: str | None, value: int) -> None:
        _update(experiment_id, "TRIAL_CONCURRENCY", "trialConcurrency", value, "trialConcurrency")

    @update.command("duration")
    @click.argument("experiment_id", required=False)
    @click.option("--value", "-v", required=True, help="e.g. 3600, 90s, 30m, 2h, 1d")
    @handle_errors
    def update_duration(experiment_id: str | None, value: str) -> None:
        from nni.config import parse_duration

        try:
            parse_duration(value)
        except ValueError as exc:
            raise CliError(f"--value: {exc}") from None
        _update(experiment_id, "MAX_EXEC_DURATION", "maxExperimentDuration", value, "maxExperimentDuration")

    @update.command("trialnum")
    @click.argument("experiment_id", required=False)
    @click.option("--value", "-v", required=True, type=click.IntRange(min=1), help="maximum number of trials")
    @handle_errors
    def update_trialnum(experiment_id: str | None, value: int) -> None:
        _update(experiment_id, "MAX_TRIAL_NUM", "maxTrialNumber", value, "maxTrialNumber")

    @cli.group()
    def webui() -> None:
        """The web UI's address."""

    @webui.command("url")
    @click.argument("experiment_id", required=False)
    @handle_errors
    def webui_url(experiment_id: str | None) -> None:
        """Print the web UI URL of an experiment."""
        from nni.launcher import entry_url, web_url

        target = resolve(experiment_id)
        if not target.running:
            raise CliError(f"experiment {target.experiment_id} is not being served (status {target.entry.get('status')}); "
                           f"nnictl view {target.experiment_id} serves it")
        click.echo(entry_url(target.entry) or web_url(int(target.entry.get("port") or 8080)))

    @cli.group("config")
    def config_group() -> None:
        """An experiment's config."""

    @config_group.command("show")
    @click.argument("experiment_id", required=False)
    @click.option("--json", "as_json", is_flag=True, help="JSON instead of YAML")
    @handle_errors
    def config_show(experiment_id: str | None, as_json: bool) -> None:
        """Print an experiment's config (passwords hidden)."""
        target = resolve(experiment_id)
        with open_reader(target) as reader:
            profile = reader.profile()
        config = dict(profile.config) if profile else {}
        if as_json:
            echo_json(config)
        else:
            import yaml

            click.echo(yaml.safe_dump(config, sort_keys=False).rstrip())

