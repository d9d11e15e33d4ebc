"""The ``khidma`` command's entry point (the console script and ``python -m server``): the cyclic collector
off before anything else is imported (``server/process.py``: a start allocates only what it keeps), then
the command line (``server/cli.py``)."""

from __future__ import annotations


def command() -> int:
    from server.process import start_up

    start_up()
    from server.cli import main

    return main()
