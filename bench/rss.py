"""A process's own peak memory, not its parent's.

Linux keeps a process's peak RSS across fork and exec, so a build started by the process that
seeded a million rows would report the seeder's peak (`ru_maxrss`). Each measured process
resets its peak first (`/proc/self/clear_refs`, Linux 4.0+) and reads it back (`VmHWM`).
"""

from __future__ import annotations

import contextlib
import re
import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def reset_peak() -> None:
    """Start counting this process's peak RSS from now where Linux allows it; elsewhere
    `peak_mb` falls back to ru_maxrss, an upper bound."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    """This process's peak RSS since `reset_peak`, in MB."""
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", _STATUS.read_text())
    except OSError:
        found = None
    if found is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(found.group(1)) / 1024
