"""``nnictl ss_gen``: print (and save) the search space generated from annotated trial code.

Registered in nnictl by the CLI; also runnable as ``python -m nni.annotation.cli``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from nni.annotation._errors import AnnotationError
from nni.annotation._package import generate_search_space

__all__ = ["ss_gen"]


@click.command("ss_gen", help="Generate the search space of annotated trial code and print it.")
@click.option(
    "--trial_dir",
    "--trial-dir",
    "-d",
    "trial_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder of the annotated trial code.",
)
@click.option(
    "--trial_command",
    "--trial-command",
    "-t",
    "trial_command",
    default=None,
    help="Accepted for NNI compatibility; the space is read from the code, nothing is run.",
)
@click.option(
    "--file",
    "-f",
    "file",
    default="nni_auto_gen_search_space.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the search space (JSON).",
)
def ss_gen(trial_dir: str, trial_command: str | None, file: str) -> None:
    try:
        space = generate_search_space(trial_dir)
    except AnnotationError as exc:
        raise click.ClickException(str(exc)) from None
    if not space:
        raise click.ClickException(
            f"no annotation found in the .py files of {trial_dir!r}; add '''@nni.variable(...)''' strings "
            "before the assignments to tune"
        )
    text = json.dumps(space, indent=4)
    Path(file).write_text(text + "\n", encoding="utf-8")
    click.echo(text)
    click.echo(f"Search space written to {file}", err=True)


if __name__ == "__main__":  # pragma: no cover
    ss_gen()
