"""A free loopback port for a server the tests or the bench start: one copy, used by
server/tests/conftest.py and bench/procutil.py."""
from __future__ import annotations

import os
import socket


def free_port() -> int:
    """A free port on 127.0.0.1: any, or one of $REPLICA_TEST_PORTS ("8120-8139") on a machine
    whose users share out port ranges."""
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
        raise RuntimeError(f"no free port in REPLICA_TEST_PORTS={wanted}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
