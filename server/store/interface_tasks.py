"""Task-list counts that stop at a bound (issue 14, second round): a list whose count no aggregate
answers (free text that many tickets hold, a two-letter query) is counted up to a bound and said to
hold "more than" it, instead of being counted whole on every page."""

from __future__ import annotations

from typing import Protocol

from server.store.records import TaskCounts, TaskFilter

COUNT_BOUND = 1000
"""A list that no aggregate counts is counted up to this many tickets; past it, "more than 1,000"."""


class TaskCountsStore(Protocol):
    async def count_tasks_bounded(
        self, task_filter: TaskFilter, *, bound: int = COUNT_BOUND, category_aside: bool = True
    ) -> TaskCounts:
        """category → how many tickets ``task_filter`` selects, as ``count_tasks`` — its ``category``
        aside, unless ``category_aside`` is False (then only that category is counted) — but exact only
        where an aggregate answers (no free text) or the tickets number at most ``bound``; otherwise
        ``TaskCounts(more_than=bound)``. The same answer on every backend, whatever plan finds it."""
        ...
