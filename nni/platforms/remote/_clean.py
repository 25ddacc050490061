"""``nnictl platform clean`` for the remote platform: remove what experiments left on the machines.

Only folders this platform made (``<root>/<experiment id>/`` holding ``.nni_agent.py``) are removed,
and never one with a trial still running there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ._launch import shell_path
from ._machine import MachineSpec, machines_from_config
from ._session import SessionOptions, connect_kwargs, import_asyncssh

__all__ = ["clean"]

_SCRIPT = r'''
removed=0; kept=""
for d in {root}/*/; do
  [ -f "$d.nni_agent.py" ] || continue
  busy=0
  for p in "$d"trials/*/.nni/pid; do
    [ -f "$p" ] || continue
    [ -f "$(dirname "$p")/exitcode" ] && continue
    pid=$(cut -d' ' -f1 "$p")
    if [ -n "$pid" ] && { kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ]; }; then busy=1; break; fi
  done
  if [ "$busy" = 1 ]; then kept="$kept $(basename "$d")"; else rm -rf "$d" && removed=$((removed+1)); fi
done
echo "removed=$removed"
echo "kept=$kept"
'''


async def _clean_one(spec: MachineSpec, root: str, options: SessionOptions) -> str:
    asyncssh = import_asyncssh()
    try:
        async with asyncssh.connect(spec.host, **connect_kwargs(spec, options)) as conn:
            result = await conn.run(_SCRIPT.replace("{root}", shell_path(root)), check=False)
    except (OSError, asyncssh.Error, asyncio.TimeoutError) as exc:
        return f"{spec.key}: cannot connect ({type(exc).__name__}: {exc}); nothing removed there"
    if result.exit_status != 0:
        return f"{spec.key}: the clean-up failed: {str(result.stderr).strip()[:300]}"
    fields = dict(line.partition("=")[::2] for line in str(result.stdout).splitlines() if "=" in line)
    kept = fields.get("kept", "").split()
    text = f"{spec.key}: removed {fields.get('removed', '0')} experiment folder(s) under {root}"
    if kept:
        text += f"; kept {', '.join(kept)} (trials still running there: stop those experiments first)"
    return text


def clean(service: Mapping[str, Any] | Any, *, remote_root: str = "~/nni-experiments",
          options: SessionOptions | None = None) -> str:
    """Remove finished experiments' folders from every machine of a remote training service config.

    ``service`` is the ``trainingService`` entry (a ``RemoteConfig`` or its JSON mapping). Returns one
    line per machine saying what was removed or why nothing was.
    """
    machines = machines_from_config(service)
    opts = options or SessionOptions()

    async def run_all() -> list[str]:
        return await asyncio.gather(*(_clean_one(m, remote_root, opts) for m in machines))

    lines = asyncio.run(run_all())
    return "\n".join(lines)
