"""How many cores this process may use (threads are sized by it)."""

from __future__ import annotations

import os


def cores() -> int:
    """Cores in this process's CPU affinity (Linux), else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
