"""Kill escalation of the local platform: SIGTERM to the group, then SIGKILL after the grace period."""

from __future__ import annotations

from pathlib import Path

from nni.platforms.base import TrialJob
from nni.platforms.local import LocalPlatform
from nni.testing import EventLog, wait_until


def test_kill_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    import time

    platform = LocalPlatform(tmp_path, "sigkill1", kill_grace=0.5)
    log = EventLog()
    platform.start(log)
    job = TrialJob("stubb", 0, 0, {}, "trap '' TERM; echo $$ > \"$NNI_OUTPUT_DIR/pid\"; sleep 60", str(tmp_path))
    try:
        platform.submit(job)
        pid_file = tmp_path / "trials" / "stubb" / "pid"
        wait_until(pid_file.exists, 10, "the trial to write its pid (its TERM trap is set)")
        t0 = time.monotonic()
        platform.kill("stubb", "USER_CANCELED")
        exit_event = log.exited("stubb", 10)
        assert exit_event.status == "USER_CANCELED" and 0.4 <= time.monotonic() - t0 < 5
        assert "SIGKILL" in (tmp_path / "trials" / "stubb" / "trial.log").read_text()
    finally:
        platform.stop()
