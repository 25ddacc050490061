"""The remote agent: one long-running process per machine, started over the machine's single SSH connection.

This file is uploaded to the remote machine and run there with the remote Python (stdlib only, no
``nni`` import, Python 3.6+ syntax). It talks JSON lines: commands on stdin, events on stdout.

Commands (one JSON object a line):
- ``{"op": "launch", "id", "dir", "files": {name: text}, "attempt"}``: write the files into the trial
  folder and start ``run.sh`` detached (new session, so it survives this agent and the SSH connection).
  If the folder's pid file names the same attempt, that launch happened already (a command sent again
  after a reconnect): it is followed instead. A folder of an earlier attempt is renamed aside first.
- ``{"op": "watch", "id", "dir", "offset", "logs": {name: offset}, "files": {name: offset}}``: follow a
  trial started earlier (after a reconnect), sending metrics, logs and TensorBoard files from those offsets.
- ``{"op": "kill", "id", "dir", "grace"}``: SIGTERM the trial's process group, SIGKILL after ``grace``.
- ``{"op": "forget", "id"}``: stop following a trial. ``{"op": "ping"}``: keep-alive.

Events: ``started`` (id, pid), ``launch_failed`` (id, error), ``watching`` (id, pid, alive, exit),
``metrics`` (id, offset, data: the new complete lines as latin-1 text), ``log`` (id, name, offset,
data: new bytes of ``stdout``/``stderr``/``trial.log``, at most every ``--logs`` seconds while the trial
runs and all of the rest before its ``exit``/``killed``), ``file`` (id, name: ``tensorboard/<path>``, offset,
data: base64 of new bytes of a file below the trial's ``tensorboard`` folder, at most ``FILE_CHUNK`` bytes
of a trial a round, every ``--logs`` seconds while it runs), ``exit`` (id, code: int or null when the process
vanished without an exit record), ``killed`` (id), ``error`` (message). The data of one ``metrics``, ``log``
or ``file`` event is at most ``PIECE`` bytes (metrics: whole lines), so every event line fits the SSH
channel's window.

The ``tensorboard`` folder (``$NNI_OUTPUT_DIR/tensorboard``) is drained before ``exit``/``killed``: once the
trial is over its rounds come every ``--interval`` seconds, a chunk each, so a large event file never holds
back the metrics of the machine's other trials, and the trial's end is reported once its files are all sent.
Event files only grow; one that shrank (rewritten) is sent again from its start with ``reset: true``.

Every round all followed trials are checked and the events of the round are written together. A
round starts when a command arrives, when inotify reports a change in a trial's ``.nni`` folder (a
metric appended, the exit record renamed into place), or after ``--slow`` seconds (processes that
vanish without an exit record); without inotify, every ``--interval`` seconds. The agent exits when its standard input
closes or stays silent for ``--idle`` seconds; the trials it started keep running.
"""

import base64
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time

PID_FILE = os.path.join(".nni", "pid")
EXIT_FILE = os.path.join(".nni", "exitcode")
METRICS_FILE = os.path.join(".nni", "metrics")
GONE_GRACE = 0.5
LOG_FILES = ("stdout", "stderr", "trial.log")
LOG_CHUNK = 1 << 20  # bytes of one log file sent per round while the trial runs
LOG_FINAL = 16 << 20  # bytes of one log file sent at most once the trial is over
TENSORBOARD_DIR = "tensorboard"
FILE_CHUNK = 1 << 20  # bytes of a trial's TensorBoard files sent per round
# bytes of a file in one event line: the manager's SSH reader cuts a line longer than the channel's receive
# window (2 MiB in asyncssh), and a latin-1 byte may take 6 in JSON
PIECE = 256 << 10


# This script runs on the remote host without nni installed there, so it keeps its own /proc reader
# rather than importing nni.platforms._common.process_alive (the same check, for this machine).
def _proc_stat(pid):
    """(state, pgrp, starttime) of a live process from /proc, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("latin-1")
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()
    return fields[0], int(fields[2]), fields[19]


def _alive(pid, starttime):
    if os.path.isdir("/proc"):
        st = _proc_stat(pid)
        if st is None or st[0] == "Z":
            return False
        return not starttime or st[2] == starttime
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_alive(pgid):
    if os.path.isdir("/proc"):
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _proc_stat(int(name))
                if st is not None and st[1] == pgid and st[0] != "Z":
                    return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


class _Inotify:
    """The Linux inotify API through ctypes (stdlib only); any event just starts a round."""

    MASK = 0x00000002 | 0x00000008 | 0x00000080 | 0x00000100  # MODIFY | CLOSE_WRITE | MOVED_TO | CREATE

    def __init__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        self._add = libc.inotify_add_watch
        self._rm = libc.inotify_rm_watch
        self.fd = libc.inotify_init1(os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")

    def add(self, path):
        wd = self._add(self.fd, os.fsencode(path), self.MASK)
        return wd if wd >= 0 else None

    def remove(self, wd):
        if wd is not None:
            self._rm(self.fd, wd)

    def drain(self):
        try:
            while os.read(self.fd, 65536):
                pass
        except OSError:
            pass


def _trial_log(trial_dir, line):
    try:
        with open(os.path.join(trial_dir, "trial.log"), "a", encoding="utf-8") as f:
            f.write("[{}] {}\n".format(time.strftime("%Y-%m-%d %H:%M:%S"), line))
    except OSError:
        pass


def _read_pid(trial_dir):
    text = _read_text(os.path.join(trial_dir, PID_FILE))
    if not text:
        return None, ""
    parts = text.split()
    try:
        return int(parts[0]), (parts[1] if len(parts) > 1 else "")
    except ValueError:
        return None, ""


def _read_attempt(trial_dir):
    parts = (_read_text(os.path.join(trial_dir, PID_FILE)) or "").split()
    return parts[2] if len(parts) > 2 else ""


def _pieces(data, whole_lines=False):
    """``(start, piece)`` of ``data`` in pieces of at most ``PIECE`` bytes (cut after a newline with
    ``whole_lines``; a single longer line stays whole)."""
    start = 0
    while start < len(data):
        end = min(start + PIECE, len(data))
        if whole_lines and end < len(data):
            cut = data.rfind(b"\n", start, end) + 1
            end = cut if cut > start else (data.find(b"\n", end) + 1 or len(data))
        yield start, data[start:end]
        start = end


def _tensorboard_sizes(trial_dir):
    """``{"tensorboard/<path>": size}`` of the regular files below the trial's TensorBoard folder."""
    top = os.path.join(trial_dir, TENSORBOARD_DIR)
    sizes = {}
    if not os.path.isdir(top):
        return sizes
    for folder, _dirs, names in os.walk(top):
        for name in names:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if os.path.isfile(path) and not os.path.islink(path):
                rel = os.path.relpath(path, trial_dir).replace(os.sep, "/")
                sizes[rel] = st.st_size
    return sizes


def _read_exit(trial_dir):
    text = _read_text(os.path.join(trial_dir, EXIT_FILE))
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        return -1


class Agent:
    def __init__(self, interval, idle, slow, log_interval=1.0):
        self.interval = interval
        self.log_interval = log_interval
        self.idle = idle
        self.slow = slow
        try:
            self.inotify = _Inotify()
        except (OSError, AttributeError):
            self.inotify = None
        self.trials = {}
        self.out = []
        self.last_input = time.time()

    def emit(self, **event):
        self.out.append(json.dumps(event, separators=(",", ":")) + "\n")

    def flush(self):
        if self.out:
            sys.stdout.write("".join(self.out))
            sys.stdout.flush()
            self.out = []

    # commands
    def handle(self, cmd):
        op = cmd.get("op")
        tid = cmd.get("id")
        try:
            if op == "launch":
                self.launch(tid, cmd["dir"], cmd.get("files") or {}, str(cmd.get("attempt") or ""))
            elif op == "watch":
                self.watch(tid, cmd["dir"], int(cmd.get("offset") or 0), cmd.get("logs") or {},
                           cmd.get("files") or {})
            elif op == "kill":
                self.kill(tid, cmd["dir"], float(cmd.get("grace", 5.0)))
            elif op == "forget":
                self._drop(tid)
            elif op != "ping":
                self.emit(ev="error", message=f"unknown command {op!r}")
        except Exception as exc:  # report, never die on one bad command
            if op == "launch":
                self.emit(ev="launch_failed", id=tid, error=f"{type(exc).__name__}: {exc}")
            else:
                self.emit(ev="error", id=tid, message=f"{op} failed: {type(exc).__name__}: {exc}")

    def _follow(self, tid, trial_dir, offset, pid, starttime, proc=None, logs=None, files=None):
        old = self.trials.get(tid)
        wd = old["wd"] if old else None
        if wd is None and self.inotify is not None and os.path.isdir(os.path.join(trial_dir, ".nni")):
            wd = self.inotify.add(os.path.join(trial_dir, ".nni"))
        self.trials[tid] = {"dir": trial_dir, "offset": offset, "pid": pid, "start": starttime,
                            "proc": proc, "gone_since": None, "kill_at": None, "wd": wd,
                            "logs": {name: int((logs or {}).get(name) or 0) for name in LOG_FILES},
                            "files": {str(name): int(size) for name, size in (files or {}).items()},
                            "log_at": 0.0, "ending": None}

    def _drop(self, tid):
        trial = self.trials.pop(tid, None)
        if trial is not None and self.inotify is not None:
            self.inotify.remove(trial["wd"])

    def launch(self, tid, trial_dir, files, attempt):
        pid, starttime = _read_pid(trial_dir)
        if pid is not None and _read_attempt(trial_dir) == attempt:  # sent again after a reconnect
            if tid not in self.trials:
                self._follow(tid, trial_dir, 0, pid, starttime)
            self.emit(ev="started", id=tid, pid=pid)
            return
        if os.path.exists(trial_dir):  # an earlier run of this trial: keep it aside, start clean
            self._drop(tid)
            os.rename(trial_dir, f"{trial_dir}.{_read_attempt(trial_dir) or 'old'}.{int(time.time() * 1000)}")
        os.makedirs(os.path.join(trial_dir, ".nni"), exist_ok=True)
        for name, text in files.items():
            path = os.path.join(trial_dir, name)
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
        devnull = open(os.devnull, "r+b")
        try:
            proc = subprocess.Popen(["/bin/bash", os.path.join(trial_dir, "run.sh")], cwd=trial_dir,
                                    stdin=devnull, stdout=devnull, stderr=devnull, close_fds=True,
                                    start_new_session=True)
        finally:
            devnull.close()
        st = _proc_stat(proc.pid)
        starttime = st[2] if st else ""
        with open(os.path.join(trial_dir, PID_FILE + ".tmp"), "w") as f:
            f.write(f"{proc.pid} {starttime} {attempt}\n")
        os.replace(os.path.join(trial_dir, PID_FILE + ".tmp"), os.path.join(trial_dir, PID_FILE))
        self._follow(tid, trial_dir, 0, proc.pid, starttime, proc)
        self.emit(ev="started", id=tid, pid=proc.pid)

    def watch(self, tid, trial_dir, offset, logs, files):
        pid, starttime = _read_pid(trial_dir)
        code = _read_exit(trial_dir)
        alive = pid is not None and _alive(pid, starttime)
        self.emit(ev="watching", id=tid, pid=pid, alive=alive, exit=code)
        if pid is not None or code is not None:
            self._follow(tid, trial_dir, offset, pid, starttime, logs=logs, files=files)

    def kill(self, tid, trial_dir, grace):
        trial = self.trials.get(tid)
        if trial is None:
            pid, starttime = _read_pid(trial_dir)
            st = _proc_stat(pid) if pid is not None else None
            if st is not None and starttime and st[2] != starttime:
                pid = None  # the trial's leader is gone and its pid was reused: nothing of ours to kill
            self._follow(tid, trial_dir, 0, pid, starttime)
            trial = self.trials[tid]
            for name in LOG_FILES:  # not followed before: its logs and files are not wanted now
                try:
                    trial["logs"][name] = os.path.getsize(os.path.join(trial_dir, name))
                except OSError:
                    pass
            trial["files"] = _tensorboard_sizes(trial_dir)
        if trial["pid"] is None:
            self._drop(tid)
            self.emit(ev="killed", id=tid)
            return
        _trial_log(trial_dir, f"kill: SIGTERM to process group {trial['pid']}")
        try:
            os.killpg(trial["pid"], signal.SIGTERM)
        except OSError:
            pass
        trial["kill_at"] = time.time() + grace

    # the round
    def read_metrics(self, tid, trial):
        path = os.path.join(trial["dir"], METRICS_FILE)
        try:
            with open(path, "rb") as f:
                f.seek(trial["offset"])
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        for start, piece in _pieces(data[:end], whole_lines=True):
            self.emit(ev="metrics", id=tid, offset=trial["offset"] + start, data=piece.decode("latin-1"))
        trial["offset"] += end

    def read_logs(self, tid, trial, now, final):
        """Send new bytes of the trial's logs: a chunk each while it runs (``check`` calls this every
        ``--logs`` seconds), everything left up to ``LOG_FINAL`` once it is over."""
        trial["log_at"] = now
        for name in LOG_FILES:
            start = trial["logs"][name]
            try:
                with open(os.path.join(trial["dir"], name), "rb") as f:
                    f.seek(start)
                    data = f.read(LOG_FINAL if final else LOG_CHUNK)
            except OSError:
                continue
            trial["logs"][name] = start + len(data)
            for at, piece in _pieces(data):
                self.emit(ev="log", id=tid, name=name, offset=start + at, data=piece.decode("latin-1"))

    def read_files(self, tid, trial):
        """Send up to ``FILE_CHUNK`` new bytes of the TensorBoard files; True when nothing is left to send."""
        budget = FILE_CHUNK
        sent = trial["files"]
        for name, size in sorted(_tensorboard_sizes(trial["dir"]).items()):
            start = sent.get(name, 0)
            reset = size < start
            if reset:
                start = 0
            if size == start and not reset:
                continue
            if budget <= 0:
                return False
            try:
                with open(os.path.join(trial["dir"], name), "rb") as f:
                    f.seek(start)
                    data = f.read(min(budget, size - start))
            except OSError:
                continue
            budget -= len(data)
            sent[name] = start + len(data)
            for at, piece in _pieces(data):
                extra = {"reset": True} if reset and at == 0 else {}
                self.emit(ev="file", id=tid, name=name, offset=start + at,
                          data=base64.b64encode(piece).decode("ascii"), **extra)
            if start + len(data) < size:
                return False
        return True

    def end(self, tid, trial, event):
        """The trial is over: report ``event`` once its TensorBoard files are all sent (this round or later)."""
        trial["ending"] = event
        trial["kill_at"] = trial["gone_since"] = None
        if self.read_files(tid, trial):
            self._drop(tid)
            self.emit(**event)

    def check(self, tid, trial, now):
        proc = trial["proc"]
        if proc is not None:
            proc.poll()  # reap run.sh when it is our child
        if trial["ending"] is not None:
            self.end(tid, trial, trial["ending"])
            return
        if trial["kill_at"] is not None:
            if not _group_alive(trial["pid"]):
                self.read_logs(tid, trial, now, True)
                self.end(tid, trial, {"ev": "killed", "id": tid})
            elif now >= trial["kill_at"]:
                _trial_log(trial["dir"], f"kill: SIGKILL to process group {trial['pid']}")
                trial["kill_at"] = now + 1.0
                try:
                    os.killpg(trial["pid"], signal.SIGKILL)
                except OSError:
                    pass
            return
        self.read_metrics(tid, trial)
        if now - trial["log_at"] >= self.log_interval:
            self.read_logs(tid, trial, now, False)
            self.read_files(tid, trial)
        code = _read_exit(trial["dir"])
        if code is not None:
            self.read_metrics(tid, trial)
            self.read_logs(tid, trial, now, True)
            self.end(tid, trial, {"ev": "exit", "id": tid, "code": code})
            return
        if trial["pid"] is None or not _alive(trial["pid"], trial["start"]):
            if trial["gone_since"] is None:
                trial["gone_since"] = now
            elif now - trial["gone_since"] >= GONE_GRACE:
                self.read_metrics(tid, trial)
                self.read_logs(tid, trial, now, True)
                self.end(tid, trial, {"ev": "exit", "id": tid, "code": _read_exit(trial["dir"])})

    def run(self):
        fd = sys.stdin.fileno()
        buf = b""
        self.emit(ev="ready", pid=os.getpid(), inotify=self.inotify is not None)
        self.flush()
        watched = [fd] if self.inotify is None else [fd, self.inotify.fd]
        while True:
            busy = any(t["kill_at"] is not None or t["gone_since"] is not None or t["ending"] is not None
                       for t in self.trials.values())
            timeout = self.interval if self.inotify is None or busy else self.slow
            ready, _, _ = select.select(watched, [], [], timeout)
            now = time.time()
            if self.inotify is not None and self.inotify.fd in ready:
                self.inotify.drain()
            if fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                self.last_input = now
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        try:
                            cmd = json.loads(line.decode("utf-8"))
                        except ValueError:
                            self.emit(ev="error", message=f"malformed command {line[:200]!r}")
                            continue
                        if cmd.get("op") == "exit":
                            self.flush()
                            return
                        self.handle(cmd)
            elif now - self.last_input > self.idle:
                return
            for tid, trial in list(self.trials.items()):
                self.check(tid, trial, now)
            self.flush()


def main(argv):
    interval, idle, slow, logs = 0.05, 60.0, 0.5, 1.0
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag == "--interval":
            interval = float(args.pop(0))
        elif flag == "--idle":
            idle = float(args.pop(0))
        elif flag == "--slow":
            slow = float(args.pop(0))
        elif flag == "--logs":
            logs = float(args.pop(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    Agent(interval, idle, slow, logs).run()


if __name__ == "__main__":
    main(sys.argv[1:])
