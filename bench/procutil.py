"""What the bench's Python scripts ask of this machine: a free loopback port (the tests' own,
server/replica/ports.py), and a process's own peak memory. Imported by bench.py, io_case.py,
auth_bench.py and the Python clients."""
from __future__ import annotations

import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from replica.ports import free_port  # noqa: E402,F401  (re-exported for the bench scripts)


def peak_rss_bytes() -> int:
    """This process's own peak RSS (VmHWM). getrusage's ru_maxrss is not that on Linux: a process
    started by a larger one begins with its parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass  # not Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
