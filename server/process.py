"""How a serving process runs its interpreter: settings for ``khidma serve`` (one process or each of
``--workers``), not for the app built inside tests.

* **The GIL's switch interval.** Every ticket transaction runs on the store's writer thread, which gives
  up the GIL around each SQLite call; while the event loop's thread is busy, taking it back waits for the
  switch interval (CPython's default 5 ms), several times per transaction. 0.5 ms keeps the writer's
  turns short (measured in docs/performance.md).
* **The heap frozen after start-up.** The compiled definitions, templates and modules are hundreds of
  thousands of long-lived objects; every full collection walked them all (70–100 ms each, a dozen in
  half a minute of load: the p99). ``gc.freeze()`` once the lifespan has started moves them out of the
  collector's sight; what is allocated later is collected as usual. No full collection runs first: at
  that point one found nothing to free (0 unreachable objects; 582 on the first start of ``--demo``,
  which seeds its data) and took 65–75 ms of every start before the first answer.
* **No collection during start-up.** ``khidma`` (``server/entry.py``: the console script and ``python -m
  server``) turns the collector off at its first line, and ``_freeze_heap`` turns it on again once the heap is frozen:
  importing the server and building the app allocate a few hundred thousand container objects, all
  kept, and the collector walked them about 200 times on the way (178 young, 16 middle and one full
  collection, about 95 ms of a start, counted with ``gc.callbacks``) without freeing anything worth
  it. A command other than ``serve`` turns it on again as soon as its arguments are read
  (``server/cli.py``), and a ``--workers`` process from its factory to its lifespan.
* **A young generation of 2,000 objects, not 700.** The collector runs when the container objects
  allocated since its last run, less those freed, pass the threshold. Sixteen requests in flight hold
  more than 700 between them, so under load it ran over and over without finding garbage: 113 young
  collections a thousand submissions, 20–23 ms of CPU, about 2 % of a submission's (counted with
  ``gc.callbacks``, in process, the heap frozen; 76–88 a thousand staff actions, 14–16 ms). At 2,000 it
  runs once or not at all in a thousand, and each run is as short (0.3–0.7 ms): what a request leaves
  behind in cycles is a handful of objects (docs/performance.md, eleventh round).
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the command's first line, before Litestar (start_up)
    from litestar import Litestar

SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits for it (CPython's default: 0.005)."""


YOUNG_THRESHOLD = 2000
"""Allocations (less deallocations) of container objects that start a young collection (CPython: 700)."""


def start_up() -> None:
    """The collector off until the heap is frozen (``_freeze_heap``) or the command is not ``serve``
    (``collect_again``)."""
    gc.disable()


def collect_again() -> None:
    gc.enable()


def _freeze_heap() -> None:
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    gc.enable()


def tune_for_serving(app: Litestar) -> Litestar:
    """Set this process up to serve ``app``: the switch interval now, the heap frozen (and the young
    generation's threshold raised) after start-up."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    app.on_startup.append(_freeze_heap)
    return app
