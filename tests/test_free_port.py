"""The test suite's free ports: under pytest-xdist each worker draws from its own share of them, so two
workers never start servers on one port found free by both."""

from __future__ import annotations

import os
import socket

from tests.ports import free_port, share


def test_each_worker_draws_only_ports_of_its_own_share(monkeypatch):
    for count, worker in ((2, "gw0"), (2, "gw1"), (3, "gw2")):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(count))
        ports = {free_port() for _ in range(20)}
        assert {share(port, count) for port in ports} == {int(worker[2:])}


def test_the_port_is_free_to_bind():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_one_process_takes_any_port(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    assert os.environ.get("PYTEST_XDIST_WORKER") is None
    ports = {free_port() for _ in range(40)}
    assert {share(port, 2) for port in ports} == {0, 1}
