"""``nnictl``: NNI's command line (``nnictl = nni.cli:main``, also ``python -m nni.cli``)."""

from __future__ import annotations

import importlib
import sys

import click

from nni import __version__

from ._common import DEBUG, CliError

__all__ = ["cli", "main", "CliError"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="nnictl", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, hidden=True, help="show tracebacks")
def cli(debug: bool) -> None:
    """nnictl: create, watch, change and stop NNI experiments."""
    DEBUG["on"] = debug


def _register() -> None:
    from . import _algo_cmds, _experiment_cmds, _manage_cmds, _results_cmds, _tensorboard_cmds

    _experiment_cmds.register(cli)
    _manage_cmds.register(cli)
    experiment = cli.commands["experiment"]
    assert isinstance(experiment, click.Group)
    _results_cmds.register(experiment)
    _algo_cmds.register(cli)
    _tensorboard_cmds.register(cli)
    try:
        annotation_cli = importlib.import_module("nni.annotation.cli")
    except ImportError:
        return
    for name in ("ss_gen", "command", "cli"):
        command = getattr(annotation_cli, name, None)
        if isinstance(command, click.Command):
            cli.add_command(command, "ss_gen")
            break


_register()


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:  # accepted anywhere on the line, as NNI's
        DEBUG["on"] = True
    cli.main(args=args, prog_name="nnictl")
