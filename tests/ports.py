"""Free loopback ports for the servers tests start (``tests/conftest.py``, ``tests/pg.py``)."""

from __future__ import annotations

import os
import socket


def share(port: int, count: int) -> int:
    """Which of ``count`` workers a port belongs to. Not by its parity: Linux hands out odd ports to
    ``bind`` on port 0 (and even ones to ``connect``), so every port found free here is odd."""
    return (port // 2) % count


def free_port() -> int:
    """A free loopback port. Under pytest-xdist (``make test`` runs two processes) each worker takes only
    the ports of its own share (``share``): a port one worker found free and has not bound yet is never
    handed to the other."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1…
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    index = int(worker[2:]) if worker[:2] == "gw" and worker[2:].isdigit() else 0
    for _ in range(1000):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if count <= 1 or share(port, count) == index % count:
            return port
    raise RuntimeError("no free loopback port of this worker's share")
