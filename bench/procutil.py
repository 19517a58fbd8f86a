"""What the bench's Python scripts ask of this machine: a free loopback port, and a process's own
peak memory. One copy, imported by bench.py, io_case.py, auth_bench.py and the Python clients."""
from __future__ import annotations

import os
import resource
import socket


def free_port() -> int:
    """A free port on 127.0.0.1: one of $REPLICA_TEST_PORTS ("8200-8229") when set, else any."""
    wanted = os.environ.get("REPLICA_TEST_PORTS", "").strip()
    if wanted:
        low, _, high = wanted.partition("-")
        for port in range(int(low), int(high or low) + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise SystemExit(f"no free port in REPLICA_TEST_PORTS={wanted}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
