"""Free loopback ports for the wikis and proxies tests and benchmarks start."""
from __future__ import annotations

import socket


def free_port(first: int, last: int, taken: set[int] | None = None) -> int:
    """The first port in [first, last] nothing listens on (a stale wiki may hold one); recorded in `taken`."""
    for port in range(first, last + 1):
        if taken is not None and port in taken:
            continue
        with socket.socket() as probe:
            # as servers bind: a port in TIME_WAIT is free for them
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if taken is not None:
            taken.add(port)
        return port
    raise RuntimeError(f"no free port in {first}-{last}")
