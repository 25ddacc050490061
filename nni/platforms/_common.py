"""What the platforms share: the trial environment, the trial-file check, the metrics reader.

Every platform (local, remote, Slurm) builds a trial's environment with :func:`trial_environment`,
checks a file name asked of a trial's folder with :func:`trial_file_name` / :func:`trial_file_path`,
and turns metric records into events with :func:`metric_events` / :func:`read_metric_events`.
(Whether a process of this machine still runs is the OS seam's: ``nni._os.process_alive``.)
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Iterable, Mapping
from pathlib import Path

from nni.errors import NNIError
from nni.runtime.trial_channel import decode_metrics_located, read_new_metrics

from .base import TrialJob, TrialMetric

__all__ = [
    "NNI_VARIABLES",
    "TrialFileError",
    "trial_environment",
    "trial_file_name",
    "trial_file_path",
    "metric_events",
    "read_metric_events",
    "EXIT_CODE_FILE",
    "read_exit_code",
]

_log = logging.getLogger(__name__)

# The variables NNI sets for every trial (COMPAT.md); CUDA_VISIBLE_DEVICES is NNI's too (see below).
NNI_VARIABLES = ("NNI_PLATFORM", "NNI_EXP_ID", "NNI_TRIAL_JOB_ID", "NNI_SYS_DIR", "NNI_OUTPUT_DIR",
                 "NNI_TRIAL_SEQ_ID", "NNI_CODE_DIR")
_GPU_VARIABLE = "CUDA_VISIBLE_DEVICES"


# ==================================================================== the trial environment
def trial_environment(job: TrialJob, *, platform: str, experiment_id: str, trial_dir: str | os.PathLike[str],
                      code_dir: str | os.PathLike[str], gpus: Iterable[int] | None = None,
                      base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of trial ``job``: NNI's variables over the job's ``env`` over ``base``.

    Precedence, lowest first: ``base`` (what the platform starts from, e.g. the local manager's own
    environment), then ``job.env`` (the user's / the config's extra variables), then NNI's own
    variables (``NNI_PLATFORM``, ``NNI_EXP_ID``, ``NNI_TRIAL_JOB_ID``, ``NNI_SYS_DIR``,
    ``NNI_OUTPUT_DIR``, ``NNI_TRIAL_SEQ_ID``, ``NNI_CODE_DIR``) and ``CUDA_VISIBLE_DEVICES``.
    NNI's variables win: a trial that read another ``NNI_TRIAL_JOB_ID`` or ``NNI_SYS_DIR`` than the
    platform's would write its parameters and metrics into another trial's records, and one that saw
    other GPUs than the scheduler assigned would share them unknowingly. A ``job.env`` entry with one of
    these names is ignored (with a warning). ``CUDA_VISIBLE_DEVICES`` is set when ``gpus`` holds the
    assigned GPUs and left out otherwise (the platform then unsets it, or lets its scheduler, e.g.
    Slurm, set it).
    """
    env = dict(base or {})
    owned = (*NNI_VARIABLES, _GPU_VARIABLE)
    overridden = sorted(name for name in job.env if name in owned)
    if overridden:
        _log.warning("trial %s: its env sets %s, which NNI sets itself; NNI's values are used",
                     job.trial_job_id, ", ".join(overridden))
    env.update((name, str(value)) for name, value in job.env.items() if name not in owned)
    env.pop(_GPU_VARIABLE, None)
    env.update({
        "NNI_PLATFORM": platform,
        "NNI_EXP_ID": experiment_id,
        "NNI_TRIAL_JOB_ID": job.trial_job_id,
        "NNI_SYS_DIR": os.fspath(trial_dir),
        "NNI_OUTPUT_DIR": os.fspath(trial_dir),
        "NNI_TRIAL_SEQ_ID": str(job.sequence_id),
        "NNI_CODE_DIR": os.fspath(code_dir),
    })
    assigned = list(gpus or ())
    if assigned:
        env[_GPU_VARIABLE] = ",".join(str(g) for g in assigned)
    return env


# ==================================================================== files of a trial's folder
class TrialFileError(NNIError, PermissionError):
    """A file asked of a trial's folder lies outside it."""


def _outside(trial_job_id: str, name: str) -> TrialFileError:
    return TrialFileError(f"{name!r} is outside the trial's folder (trial {trial_job_id}); only the trial's own "
                          "files are given: use a name inside it, such as 'stdout' or 'stderr'")


def trial_file_name(trial_job_id: str, name: str) -> str:
    """``name`` as a relative POSIX path inside the trial's folder (checked by its text: for folders on
    another machine); an absolute name or one that climbs out raises :class:`TrialFileError`."""
    rel = posixpath.normpath(str(name).replace("\\", "/"))
    if rel.startswith("/") or rel in (".", "..") or rel.startswith("../"):
        raise _outside(trial_job_id, name)
    return rel


def trial_file_path(trial_dir: str | os.PathLike[str], trial_job_id: str, name: str, *,
                    within: str | os.PathLike[str] | None = None) -> Path:
    """The path of file ``name`` of a trial's folder on this machine; anything that resolves outside
    the folder (``..``, an absolute name, a symbolic link leading out), or outside ``within`` when given
    (the experiment's folder, for files served over HTTP), raises :class:`TrialFileError`."""
    folder = Path(trial_dir).resolve()
    path = (folder / trial_file_name(trial_job_id, name)).resolve()
    if folder not in path.parents or (within is not None and not path.is_relative_to(Path(within).resolve())):
        raise _outside(trial_job_id, name)
    return path


# ==================================================================== metrics
def metric_events(trial_job_id: str, data: bytes, offset: int) -> tuple[list[TrialMetric], int, list[str]]:
    """The metric events in ``data``, the bytes of a trial's metrics file from byte ``offset`` on.

    Returns ``(events, offset after the last complete line, errors)``; each event carries the absolute
    offset just after its record, a partial last line is left for the next read, and malformed lines are
    described in ``errors`` and skipped.
    """
    located, consumed, errors = decode_metrics_located(data)
    return [TrialMetric(trial_job_id, record, offset + end) for record, end in located], offset + consumed, errors


def read_metric_events(trial_job_id: str, trial_dir: str | os.PathLike[str], offset: int
                       ) -> tuple[list[TrialMetric], int, list[str]]:
    """:func:`metric_events` of what the trial appended to its metrics file (in ``trial_dir``) after
    byte ``offset``; a missing file reads as empty (nothing reported yet)."""
    located, end, errors = read_new_metrics(trial_dir, offset)
    return [TrialMetric(trial_job_id, record, record_end) for record, record_end in located], end, errors


# ==================================================================== exit code
# Where a trial's job wrapper (Slurm's job script, a Kubernetes pod's command) writes the command's exit
# code, inside the trial's folder on the shared filesystem; present once the command has ended.
EXIT_CODE_FILE = os.path.join(".nni", "exitcode")


def read_exit_code(trial_dir: str | os.PathLike[str]) -> int | None:
    """The exit code the trial's wrapper recorded, or None while there is none (or it is unreadable)."""
    try:
        return int((Path(trial_dir) / EXIT_CODE_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
