"""Logic of the remote platform that needs no sshd: .nniignore, placement, machine configs, run.sh, the agent."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from nni.config import load_config
from nni.config.training_services.remote import RemoteConfig
from nni.errors import ConfigError
from nni.platforms.remote import (
    GpuInfo,
    IgnoreRules,
    MachineSpec,
    MachineState,
    code_files,
    machines_from_config,
    pack_code,
    place,
)
from nni.platforms.remote._launch import shell_path, trial_files
from nni.platforms.remote._session import _parse_gpus, _probe_fields
from nni.testing import wait_until

from .remote_helpers import job, make_code_dir

AGENT = Path(__file__).resolve().parents[3] / "nni" / "platforms" / "remote" / "_agent_script.py"


# .nniignore -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern,path,is_dir,expected", [
    ("*.pyc", "a.pyc", False, True),
    ("*.pyc", "deep/er/a.pyc", False, True),
    ("*.pyc", "a.py", False, False),
    ("data/", "data", True, True),
    ("data/", "data", False, False),  # a file named data is not a folder
    ("data/", "x/data", True, True),
    ("/top.txt", "top.txt", False, True),
    ("/top.txt", "sub/top.txt", False, False),
    ("logs/*.txt", "logs/a.txt", False, True),
    ("logs/*.txt", "x/logs/a.txt", False, False),  # a slash inside anchors the pattern
    ("logs/*.txt", "logs/deep/a.txt", False, False),  # * never crosses /
    ("**/cache", "a/b/cache", True, True),
    ("**/cache", "cache", True, True),
    ("out/**", "out/a/b.bin", False, True),
    ("a/**/z", "a/z", False, True),
    ("a/**/z", "a/b/c/z", False, True),
    ("?.txt", "a.txt", False, True),
    ("?.txt", "ab.txt", False, False),
    ("[ab].txt", "b.txt", False, True),
    ("[!ab].txt", "b.txt", False, False),
    ("\\#hash", "#hash", False, True),
])
def test_ignore_patterns(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert IgnoreRules([pattern]).ignored(path, is_dir) is expected


def test_ignore_last_match_wins_and_comments() -> None:
    rules = IgnoreRules(["# a comment", "", "*.ckpt", "!keep.ckpt", "   "])
    assert rules.ignored("model.ckpt", False)
    assert not rules.ignored("keep.ckpt", False)
    assert not rules.ignored("# a comment", False)


def test_code_files_and_pack(tmp_path: Path) -> None:
    code = make_code_dir(tmp_path)
    assert code_files(str(code)) == [".nniignore", "keep.ckpt", "sub/top_only.txt", "trial.py"]
    data, digest, count = pack_code(str(code))
    assert count == 4
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert sorted(tar.getnames()) == [".nniignore", "keep.ckpt", "sub/top_only.txt", "trial.py"]
    assert pack_code(str(code))[1] == digest  # stable digest: no re-upload when nothing changed
    (code / "trial.py").write_text("changed")
    assert pack_code(str(code))[1] != digest
    (code / "model.ckpt").write_text("ignored files do not change the digest")
    assert pack_code(str(code))[1] == pack_code(str(code))[1]


def test_oversized_code_folder_is_refused_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nni.platforms.remote._ignore as ignore

    code = make_code_dir(tmp_path)
    monkeypatch.setattr(ignore, "MAX_FILES", 3)
    with pytest.raises(ConfigError, match=r"holds 4 files.*limit is 3 files.*\.nniignore"):
        pack_code(str(code))
    (code / ".nniignore").write_text("sub/\n*.ckpt\ndata/\ntop_only.txt\n")
    assert pack_code(str(code))[2] == 2


def test_shell_path() -> None:
    assert shell_path("/opt/my env/bin") == "'/opt/my env/bin'"
    assert shell_path("~/venv/bin") == '"$HOME"/venv/bin'
    assert shell_path("~") == '"$HOME"'
    run = trial_files(job("p1"), experiment_id="e", trial_dir="/t", code_dir="/c", gpus=(),
                      python_path="~/venv/bin:/opt/x")["run.sh"]
    assert 'export PATH="$HOME"/venv/bin:/opt/x:"$PATH"' in run


# placement --------------------------------------------------------------------------------------------
def _m(key: str, *, running: int = 0, gpus: int = 0, max_trials: int | None = None, connected: bool = True,
       **kw) -> MachineState:
    return MachineState(key=key, connected=connected, discovered=True, running=running,
                        gpus=[GpuInfo(i) for i in range(gpus)], max_trials=max_trials, **kw)


def test_place_spreads_and_respects_limits() -> None:
    a, b = _m("a", running=1), _m("b")
    assert place(0, [a, b]).machine == "b"
    assert place(0, [_m("a", running=2, max_trials=2), _m("b", running=2, max_trials=2)]).reason.endswith(
        "(a: full (2/2 trials); b: full (2/2 trials))")
    lost = place(0, [_m("a", connected=False, lost=True, last_error="ConnectionRefusedError")])
    assert lost.machine is None and "a: unreachable (ConnectionRefusedError)" in lost.reason


def test_place_gpus() -> None:
    m = _m("a", gpus=3, per_gpu=2)
    m.gpu_load = {0: 2, 1: 1}
    got = place(2, [m])
    assert got.machine == "a" and got.gpus == (1, 2)  # least loaded first, never a full GPU
    m.gpu_indices = (0, 1)
    assert place(2, [m]).machine is None
    assert "a: 1 of 2 GPUs free" in place(2, [m]).reason
    busy = _m("b", gpus=2)
    busy.gpus[0].busy_elsewhere = True
    assert place(1, [busy]).gpus == (1,)
    busy.use_active_gpu = True
    assert place(2, [busy]).gpus == (0, 1)
    impossible = place(4, [_m("a", gpus=2), _m("b", gpus=3)])
    assert impossible.impossible and "needs 4 GPUs" in impossible.reason and "has 3" in impossible.reason
    undiscovered = MachineState(key="b")  # never connected: it may have enough GPUs, so the trial waits
    assert not place(4, [_m("a", gpus=2), undiscovered]).impossible


# machine configs --------------------------------------------------------------------------------------
def test_machines_from_v2_mappings(tmp_path: Path) -> None:
    v2 = machines_from_config({"machineList": [
        {"host": "10.0.0.2", "port": 2222, "user": "me", "password": "s3cret", "gpuIndices": "0,1",
         "maxTrialNumberPerGpu": 2, "useActiveGpu": True, "pythonPath": "/opt/py/bin"}]})
    assert v2 == [MachineSpec(host="10.0.0.2", port=2222, user="me", password="s3cret", gpu_indices=(0, 1),
                              max_trial_number_per_gpu=2, use_active_gpu=True, python_path="/opt/py/bin")]
    key = tmp_path / "id"
    key.write_text("not really a key")
    keyed = machines_from_config([{"host": "10.0.0.3", "user": "u", "sshKeyFile": str(key), "passphrase": "pp-secret-2"}])
    assert keyed[0].host == "10.0.0.3" and keyed[0].user == "u" and keyed[0].port == 22
    assert keyed[0].ssh_key_file == str(key)
    # v1 key names are nni.config's business (a v1 file is converted when loaded), not the platform's
    with pytest.raises(ConfigError, match="'ip' is the legacy v1 name"):
        machines_from_config([{"ip": "10.0.0.3", "username": "u", "password": "x"}])
    for spec in v2 + keyed:
        assert "s3cret" not in repr(spec) and "pp-secret-2" not in repr(spec)
        assert "s3cret" not in json.dumps(spec.public()) and "pp-secret-2" not in json.dumps(spec.public())


def test_machines_from_remote_config_object(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("not really a key")
    config = RemoteConfig.from_json({"platform": "remote", "machineList": [
        {"host": "h1", "user": "me", "password": "pw1"},
        {"host": "h2", "port": 2200, "user": "me", "sshKeyFile": str(key), "gpuIndices": [1]},
    ]})
    specs = machines_from_config(config)
    assert [(s.host, s.port, s.user) for s in specs] == [("h1", 22, "me"), ("h2", 2200, "me")]
    assert specs[0].password == "pw1" and specs[1].ssh_key_file == str(key) and specs[1].gpu_indices == (1,)


def test_machines_from_v1_config_file(tmp_path: Path) -> None:
    key = tmp_path / "id_rsa"
    key.write_text("not really a key")
    (tmp_path / "space.json").write_text('{"x": {"_type": "uniform", "_value": [0, 1]}}')
    (tmp_path / "config.yml").write_text(
        "authorName: me\nexperimentName: v1remote\ntrialConcurrency: 2\nmaxTrialNum: 4\n"
        "trainingServicePlatform: remote\nsearchSpacePath: space.json\n"
        "tuner:\n  builtinTunerName: Random\n"
        "trial:\n  command: python3 trial.py\n  codeDir: .\n  gpuNum: 0\n"
        "machineList:\n"
        "  - ip: 10.1.1.1\n    port: 2222\n    username: alice\n    passwd: secret1\n"
        f"  - ip: 10.1.1.2\n    username: bob\n    sshKeyPath: {key}\n    passphrase: pp2\n")
    config = load_config(tmp_path / "config.yml")
    specs = machines_from_config(config.training_service)
    assert [(s.host, s.port, s.user) for s in specs] == [("10.1.1.1", 2222, "alice"), ("10.1.1.2", 22, "bob")]
    assert specs[0].password == "secret1" and specs[1].ssh_key_file == str(key) and specs[1].passphrase == "pp2"


@pytest.mark.parametrize("entry,message", [
    ({"user": "me", "password": "x"}, r"machineList\[0\]\.host': missing"),
    ({"host": "h", "password": "x"}, r"machineList\[0\]\.user': missing"),
    ({"host": "h", "user": "me"}, "password or sshKeyFile"),
    ({"host": "h", "user": "me", "password": "x", "port": "ssh"}, r"port': expected an integer"),
    ({"host": "h", "user": "me", "password": "x", "gpuIndices": "a,b"}, "gpuIndices"),
])
def test_machine_config_errors(entry: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        machines_from_config([entry])
    with pytest.raises(ConfigError, match="at least one machine"):
        machines_from_config({"machineList": []})
    with pytest.raises(ConfigError, match="listed twice"):
        machines_from_config([{"host": "h", "user": "u", "password": "x"}] * 2)


def test_probe_parsing() -> None:
    text = ("root=/home/u/nni-experiments/abc\ndigest=\n--gpus\n0, GPU-1\n1, GPU-2\n--apps\nGPU-2, 77\n")
    assert _probe_fields(text) == {"root": "/home/u/nni-experiments/abc", "digest": ""}
    gpus = _parse_gpus(text)
    assert [(g.index, g.busy_elsewhere) for g in gpus] == [(0, False), (1, True)]
    assert _parse_gpus("root=/x\n--gpus\n--apps\n") == []


# run.sh and the agent, run here as they run on a remote machine -------------------------------------------
def _agent(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-u", str(AGENT), "--interval", "0.02", "--idle", "20"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path)


def _send(agent: subprocess.Popen[str], **cmd) -> None:
    assert agent.stdin is not None
    agent.stdin.write(json.dumps(cmd) + "\n")
    agent.stdin.flush()


def _read_until(agent: subprocess.Popen[str], ev: str, tid: str | None = None) -> list[dict]:
    assert agent.stdout is not None
    seen = []
    while True:
        line = agent.stdout.readline()
        assert line, f"agent ended before {ev}; saw {seen}"
        seen.append(json.loads(line))
        if seen[-1]["ev"] == ev and (tid is None or seen[-1].get("id") == tid):
            return seen


def test_agent_launch_metrics_exit_kill(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "w.py").write_text(
        "import json, os, sys, time\n"
        "p = json.load(open(os.path.join(os.environ['NNI_SYS_DIR'], 'parameter.cfg')))['parameters']\n"
        "m = open(os.path.join(os.environ['NNI_SYS_DIR'], '.nni', 'metrics'), 'a')\n"
        "for i in range(p['n']):\n"
        "    m.write(json.dumps({'trial_job_id': 'x', 'parameter_id': 1, 'type': 'PERIODICAL', 'sequence': i,"
        " 'value': i, 'timestamp': 0}) + '\\n'); m.flush(); time.sleep(p['sleep'])\n"
        "sys.exit(p['rc'])\n")
    agent = _agent(tmp_path)
    try:
        assert _read_until(agent, "ready")
        done = tmp_path / "trials" / "done1"
        j = job("done1", 0, command=f"{sys.executable} w.py", n=3, sleep=0.01, rc=4)
        files = trial_files(j, experiment_id="e", trial_dir=str(done), code_dir=str(code), gpus=(), python_path=None)
        _send(agent, op="launch", id="done1", dir=str(done), files=files)
        seen = _read_until(agent, "exit", "done1")
        data = "".join(e["data"] for e in seen if e["ev"] == "metrics")
        assert [json.loads(x)["sequence"] for x in data.splitlines()] == [0, 1, 2]
        assert seen[-1]["code"] == 4 and seen[0]["ev"] == "started"
        assert "exit code 4" in (done / "trial.log").read_text()
        # the whole trial.log came before the exit event, from offset 0 on
        logs = [e for e in seen if e["ev"] == "log" and e["name"] == "trial.log"]
        assert logs and logs[0]["offset"] == 0 and "exit code 4" in "".join(e["data"] for e in logs)
        # the same launch sent again (after a reconnect) is followed, not run twice
        _send(agent, op="launch", id="done1", dir=str(done), files=files)
        assert _read_until(agent, "started", "done1")[-1]["pid"] == seen[0]["pid"]
        _read_until(agent, "exit", "done1")
        # a new attempt of the same trial (the manager runs it again) starts clean, the old folder aside
        again = trial_files(job("done1", 0, command=f"{sys.executable} w.py", n=1, sleep=0.01, rc=0),
                            experiment_id="e", trial_dir=str(done), code_dir=str(code), gpus=(), python_path=None)
        _send(agent, op="launch", id="done1", dir=str(done), files=again, attempt="second")
        rerun = _read_until(agent, "exit", "done1")
        assert rerun[0]["ev"] == "started" and rerun[0]["pid"] != seen[0]["pid"] and rerun[-1]["code"] == 0
        rerun_data = "".join(e["data"] for e in rerun if e["ev"] == "metrics")
        assert [json.loads(x)["sequence"] for x in rerun_data.splitlines()] == [0]
        assert len(list(done.parent.glob("done1.*"))) == 1  # the first attempt, kept aside
        # a long trial, killed: SIGTERM to its process group
        slow = tmp_path / "trials" / "slow1"
        j = job("slow1", 1, command=f"{sys.executable} w.py", n=1000, sleep=0.05, rc=0)
        files = trial_files(j, experiment_id="e", trial_dir=str(slow), code_dir=str(code), gpus=(0, 1),
                            python_path=None)
        assert "export CUDA_VISIBLE_DEVICES=0,1" in files["run.sh"]
        _send(agent, op="launch", id="slow1", dir=str(slow), files=files)
        _read_until(agent, "metrics", "slow1")
        _send(agent, op="kill", id="slow1", dir=str(slow), grace=2)
        _read_until(agent, "killed", "slow1")
        assert "SIGTERM" in (slow / "trial.log").read_text()
        # watching a folder where nothing ran: no pid, no exit
        _send(agent, op="watch", id="none1", dir=str(tmp_path / "trials" / "none1"), offset=0)
        reply = _read_until(agent, "watching", "none1")[-1]
        assert reply["pid"] is None and reply["exit"] is None and reply["alive"] is False
        # re-watching the finished trial from an offset replays only what follows it
        first_line = len(data.splitlines(keepends=True)[0])
        aside = next(done.parent.glob("done1.*"))
        _send(agent, op="watch", id="old1", dir=str(aside), offset=first_line)
        seen = _read_until(agent, "exit", "old1")
        replay = "".join(e["data"] for e in seen if e["ev"] == "metrics")
        assert [json.loads(x)["sequence"] for x in replay.splitlines()] == [1, 2]
    finally:
        assert agent.stdin is not None
        agent.stdin.close()  # EOF: the agent exits, trials would live on
        agent.wait(10)
        assert agent.stdout is not None
        agent.stdout.close()
    assert agent.returncode == 0


def test_agent_exits_when_idle(tmp_path: Path) -> None:
    agent = subprocess.Popen([sys.executable, "-u", str(AGENT), "--interval", "0.02", "--idle", "0.3"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    agent.wait(10)
    assert time.monotonic() - t0 < 5
    assert agent.stdin is not None and agent.stdout is not None
    agent.stdin.close()
    agent.stdout.close()


def test_platform_options_from_the_config_object(tmp_path: Path) -> None:
    from nni.platforms.remote import RemotePlatform

    code = make_code_dir(tmp_path)
    machines = [{"host": "h", "user": "u", "password": "x"}]
    config = {"machineList": machines, "on_machine_lost": "resubmit", "unreachable_timeout": 7,
              "max_trials_per_machine": 3}
    plat = RemotePlatform(config, experiment_id="optsexp1", trial_code_directory=str(code))
    assert (plat.on_machine_lost, plat.unreachable_timeout, plat.max_trials_per_machine) == ("resubmit", 7.0, 3)
    plat = RemotePlatform({"machineList": machines}, experiment_id="optsexp1", trial_code_directory=str(code),
                          unreachable_timeout=5)
    assert (plat.on_machine_lost, plat.unreachable_timeout, plat.max_trials_per_machine) == ("fail", 5.0, None)
    with pytest.raises(ConfigError, match="'fail' or 'resubmit'"):
        RemotePlatform(config, experiment_id="optsexp1", trial_code_directory=str(code), on_machine_lost="retry")
    with pytest.raises(ConfigError, match="does not exist"):
        RemotePlatform(config, experiment_id="optsexp1", trial_code_directory=str(tmp_path / "missing"))
    # The same options from a config file's trainingService keys.
    typed = RemoteConfig.from_json({"platform": "remote", "machineList": machines, "onMachineLost": "resubmit",
                                    "unreachableTimeout": "2m", "maxTrialsPerMachine": 2})
    plat = RemotePlatform(typed, experiment_id="optsexp1", trial_code_directory=str(code))
    assert (plat.on_machine_lost, plat.unreachable_timeout, plat.max_trials_per_machine) == ("resubmit", 120.0, 2)
    with pytest.raises(ConfigError, match="'trainingService.onMachineLost': expected one of fail, resubmit"):
        RemoteConfig.from_json({"platform": "remote", "machineList": machines, "onMachineLost": "retry"},
                               path="trainingService")


def test_requirements_asyncssh_and_readable_key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nni.platforms.remote import RemotePlatform

    key = tmp_path / "id_ed25519"
    key.write_text("not really a key")
    config = RemoteConfig.from_json({"platform": "remote", "machineList": [
        {"host": "h1", "user": "me", "password": "pw1"}, {"host": "h2", "user": "me", "sshKeyFile": str(key)}]})
    RemotePlatform.check_requirements(config)
    key.unlink()  # gone since the config was loaded
    with pytest.raises(ConfigError, match=r"machineList\[1\]\.sshKeyFile': the SSH key file .* cannot be read"):
        RemotePlatform.check_requirements(config)
    monkeypatch.setitem(sys.modules, "asyncssh", None)  # as if it were not installed
    with pytest.raises(ConfigError, match="needs the asyncssh package"):
        RemotePlatform.check_requirements(config)


# TensorBoard files: streamed by the agent, mirrored by the platform -------------------------------------
TB_WRITER = (
    "import os, sys\n"
    "out = os.path.join(os.environ['NNI_OUTPUT_DIR'], 'tensorboard')\n"
    "if sys.argv[1] == 'write':\n"
    "    os.makedirs(os.path.join(out, 'run'))\n"
    "    open(os.path.join(out, 'events.small'), 'wb').write(bytes(range(256)) * 4)\n"
    "    open(os.path.join(out, 'run', 'events.big'), 'wb').write(os.urandom(int(2.5 * (1 << 20))))\n"
    "elif sys.argv[1] == 'hang':\n"
    "    os.makedirs(out)\n"
    "    open(os.path.join(out, 'events.hang'), 'wb').write(b'record' * 1000)\n"
    "    import time; time.sleep(60)\n")


def _files_sent(events: list[dict], copies: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The files the agent's ``file`` events rebuild over ``copies``, each chunk written at its offset."""
    import base64

    rebuilt = {name: bytearray(data) for name, data in (copies or {}).items()}
    for e in events:
        if e["ev"] == "file":
            copy = rebuilt.setdefault(e["name"], bytearray())
            if e.get("reset"):
                copy.clear()
            data = base64.b64decode(e["data"])
            assert e["offset"] <= len(copy)  # never a hole
            copy[e["offset"]:e["offset"] + len(data)] = data
    return {name: bytes(data) for name, data in rebuilt.items()}


def test_agent_sends_tensorboard_files_before_the_exit_and_resumes_from_offsets(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "tb.py").write_text(TB_WRITER)
    agent = _agent(tmp_path)
    try:
        _read_until(agent, "ready")
        folder = tmp_path / "trials" / "tb1"
        files = trial_files(job("tb1", 0, command=f"{sys.executable} tb.py write"), experiment_id="e",
                            trial_dir=str(folder), code_dir=str(code), gpus=(), python_path=None)
        _send(agent, op="launch", id="tb1", dir=str(folder), files=files)
        seen = _read_until(agent, "exit", "tb1")
        remote = {f"tensorboard/{p.relative_to(folder / 'tensorboard').as_posix()}": p.read_bytes()
                  for p in (folder / "tensorboard").rglob("*") if p.is_file()}
        assert set(remote) == {"tensorboard/events.small", "tensorboard/run/events.big"}
        assert _files_sent(seen) == remote  # every byte, before the exit
        chunks = [e for e in seen if e["ev"] == "file"]
        assert len(chunks) >= 3  # 2.5 MiB went in rounds of at most a MiB, not in one line
        assert max(len(json.dumps(e)) for e in seen) < 1 << 20  # each line well inside an SSH channel's window
        # a trial without a tensorboard folder sends no file events
        plain = tmp_path / "trials" / "plain1"
        files = trial_files(job("plain1", 1, command=f"{sys.executable} tb.py none"), experiment_id="e",
                            trial_dir=str(plain), code_dir=str(code), gpus=(), python_path=None)
        _send(agent, op="launch", id="plain1", dir=str(plain), files=files)
        assert not [e for e in _read_until(agent, "exit", "plain1") if e["ev"] == "file"]
        # a killed trial (early-stopped, canceled): its files too are all sent before "killed"
        hang = tmp_path / "trials" / "hang1"
        files = trial_files(job("hang1", 2, command=f"{sys.executable} tb.py hang"), experiment_id="e",
                            trial_dir=str(hang), code_dir=str(code), gpus=(), python_path=None)
        _send(agent, op="launch", id="hang1", dir=str(hang), files=files)
        _read_until(agent, "started", "hang1")
        hung = hang / "tensorboard" / "events.hang"
        wait_until(lambda: hung.exists() and hung.stat().st_size == 6000, 10, "the hanging trial's file")
        _send(agent, op="kill", id="hang1", dir=str(hang), grace=2)
        killed = _read_until(agent, "killed", "hang1")
        assert _files_sent(killed) == {"tensorboard/events.hang": b"record" * 1000}
        # watched again (a reconnect, a manager restart) from what the local copy holds: only the rest comes,
        # and a copy longer than the remote file (rewritten there) starts again from byte 0
        small = remote["tensorboard/events.small"]
        _send(agent, op="watch", id="tb1", dir=str(folder), offset=0, logs={},
              files={"tensorboard/events.small": 1000, "tensorboard/run/events.big": 10 << 20})
        again = [e for e in _read_until(agent, "exit", "tb1") if e["ev"] == "file"]
        assert [(e["name"], e["offset"], bool(e.get("reset"))) for e in again][:2] == [
            ("tensorboard/events.small", 1000, False), ("tensorboard/run/events.big", 0, True)]
        copies = {"tensorboard/events.small": small[:1000], "tensorboard/run/events.big": bytes(10 << 20)}
        assert _files_sent(again, copies) == remote
    finally:
        assert agent.stdin is not None and agent.stdout is not None
        agent.stdin.close()
        agent.wait(10)
        agent.stdout.close()


def test_platform_mirrors_tensorboard_chunks_without_holes_or_escapes(tmp_path: Path) -> None:
    import base64

    from nni.platforms.remote import RemotePlatform
    from nni.platforms.remote.platform import _Trial

    code = make_code_dir(tmp_path)
    plat = RemotePlatform([{"host": "h", "user": "u", "password": "x"}], experiment_id="tbexp",
                          trial_code_directory=str(code), experiment_dir=str(tmp_path / "exp"))
    trial = _Trial(job("m1"))
    copy = tmp_path / "exp" / "trials" / "m1" / "tensorboard" / "run" / "events.x"

    def chunk(offset: int, data: bytes, name: str = "tensorboard/run/events.x", **extra: object) -> None:
        plat._on_file(trial, {"ev": "file", "id": "m1", "name": name, "offset": offset,
                              "data": base64.b64encode(data).decode(), **extra})

    chunk(0, b"abc")
    chunk(3, b"def")
    chunk(3, b"def")  # sent again after a reconnect: the same bytes at the same place
    assert copy.read_bytes() == b"abcdef"
    chunk(10, b"zz")  # a jump past the copy's end would leave a hole: refused
    assert copy.read_bytes() == b"abcdef"
    assert plat._local_files(trial) == {"tensorboard/run/events.x": 6}  # where the next watch starts
    chunk(0, b"new", reset=True)  # rewritten on the machine
    assert copy.read_bytes() == b"new"
    for name in ("tensorboard/../stdout", "stdout", "tensorboard/", "/etc/passwd", "tensorboard//x"):
        chunk(0, b"evil", name=name)
    assert not (tmp_path / "exp" / "trials" / "m1" / "stdout").exists()
    assert plat._local_files(trial) == {"tensorboard/run/events.x": 3}
