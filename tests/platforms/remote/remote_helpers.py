"""Trial code, platform construction and job helpers shared by the remote platform tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from nni.platforms.base import TrialJob
from nni.platforms.remote import MachineSpec, RemotePlatform, SessionOptions

TRIAL_PY = '''\
import json, os, subprocess, sys, time
import nni

p = nni.get_next_parameter()
out = os.environ["NNI_OUTPUT_DIR"]
env = {k: v for k, v in os.environ.items() if k.startswith("NNI_") or k in ("CUDA_VISIBLE_DEVICES", "PATH")}
env.update(cwd=os.getcwd(), python=sys.executable, params=p)
with open(os.path.join(out, "env.json"), "w") as f:
    json.dump(env, f)
if p.get("child"):
    child = subprocess.Popen(["sleep", "300"])
    with open(os.path.join(out, "child.pid"), "w") as f:
        f.write(str(child.pid))
print("hello from trial", nni.get_trial_id(), flush=True)
print("a warning", file=sys.stderr, flush=True)
wait_file = p.get("wait_file")
for i in range(int(p.get("steps", 3))):
    time.sleep(float(p.get("sleep", 0.05)))
    nni.report_intermediate_result(i)
    if p.get("tb"):  # a stand-in for an event file: records appended as the trial goes
        os.makedirs(os.path.join(out, "tensorboard", "run"), exist_ok=True)
        with open(os.path.join(out, "tensorboard", "run", "events.out.tfevents.1"), "ab") as f:
            f.write(bytes([i]) * 100000)
    if wait_file and i == 0:
        while not os.path.exists(wait_file):
            time.sleep(0.05)
nni.report_final_result({"default": float(p.get("steps", 3)) * 1.5, "other": 1})
sys.exit(int(p.get("exit", 0)))
'''

NNIIGNORE = """\
# comments and blank lines are skipped

data/
*.ckpt
!keep.ckpt
/top_only.txt
"""


def make_code_dir(root: Path) -> Path:
    code = root / "code"
    (code / "data").mkdir(parents=True, exist_ok=True)
    (code / "sub").mkdir(exist_ok=True)
    (code / "trial.py").write_text(TRIAL_PY)
    (code / ".nniignore").write_text(NNIIGNORE)
    (code / "data" / "big.bin").write_bytes(os.urandom(1024))
    (code / "model.ckpt").write_text("ignored")
    (code / "keep.ckpt").write_text("kept by negation")
    (code / "top_only.txt").write_text("ignored at the top")
    (code / "sub" / "top_only.txt").write_text("kept below the top")
    (code / "sub" / "x.ckpt").write_text("ignored at any depth")
    return code


def job(trial_id: str, seq: int = 0, command: str = "python3 trial.py", gpu_number: int = 0,
        max_duration: float | None = None, **params: Any) -> TrialJob:
    return TrialJob(trial_job_id=trial_id, sequence_id=seq, parameter_id=seq, parameters=params,
                    command=command, code_dir="", gpu_number=gpu_number, max_duration=max_duration)


def fast_options(**overrides: Any) -> SessionOptions:
    base: dict[str, Any] = dict(connect_timeout=5.0, keepalive_interval=1.0, keepalive_count_max=2,
                                reconnect_initial=0.2, reconnect_max=1.0, ping_interval=1.0)
    base.update(overrides)
    return SessionOptions(**base)


def new_experiment_id() -> str:
    return secrets.token_hex(4)


def root_machine(world: Any, sshd: Any, **extra: Any) -> MachineSpec:
    return MachineSpec(host=sshd.host, port=sshd.port, user="root", ssh_key_file=str(world.root_key),
                       python_path=str(world.root_python), **extra)


def user_machine(world: Any, sshd: Any, **extra: Any) -> MachineSpec:
    return MachineSpec(host=sshd.host, port=sshd.port, user=world.user, password=world.password,
                       python_path=str(world.user_python), **extra)


def platform(machines: list[MachineSpec], code: Path, tmp: Path, **kwargs: Any) -> RemotePlatform:
    kwargs.setdefault("session_options", fast_options())
    kwargs.setdefault("kill_grace", 2.0)
    if "remote_root" not in kwargs:
        # root's machines share this filesystem: give each its own folder; the test user uses its home
        def _root(spec: MachineSpec) -> str:
            return str(tmp / f"remote-{spec.port}") if spec.user == "root" else "~/nni-experiments"
        kwargs["remote_root"] = _root
    return RemotePlatform(machines, experiment_id=kwargs.pop("experiment_id", new_experiment_id()),
                          trial_code_directory=str(code), experiment_dir=str(tmp / "exp"), **kwargs)
