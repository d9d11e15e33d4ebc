"""The dispatcher: due outbox messages → their channel's gateway → ``sent``, ``failed`` (retried later)
or ``dead``; and the worker that runs it, with the ticket timers, in the background.

Guarantees (with the store's: an outbox row is written in the transaction of the change that caused
it, and a message a crash left ``sending`` is put back when the store is next opened):

* a message is never lost — it is ``sent`` only after its gateway accepted it;
* every attempt of a message carries the same ``gateway_request_id`` (Message-ID, Idempotency-Key),
  so a message sent again after a crash (sent, then the process died before recording it) reaches
  the gateway under the id it already has, and a gateway that deduplicates delivers it once;
* messages are claimed one at a time, so a crash leaves at most one message per dispatcher in doubt,
  and a message is never claimed (nor an attempt used up) without being tried;
* a channel with no gateway configured is never claimed: its messages stay ``pending`` and
  ``status()`` counts them (``pending_without_gateway``) — nothing is reported sent that was not.

Retries: attempt n fails temporarily → due again after ``backoff_base · 2^(n-1)`` (30 s, 1 min, 2 min,
… at most ``backoff_cap``, 1 h), or later if the gateway asked (``Retry-After``); a permanent failure,
or a temporary one at the ``max_attempts``-th attempt, makes the message ``dead`` with its last error.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from server.notify.gateways import (
    DeliveryFailure,
    Gateway,
    GatewayUnavailable,
    PermanentFailure,
    build_gateways,
    mask_recipient,
)
from server.settings import Settings
from server.store.interface import Store
from server.store.records import OutboxMessage


class _Timers(Protocol):
    async def fire_due_timers(self) -> int: ...


PeriodicTask = Callable[[], Awaitable[object]]
"""Work the worker does every round besides timers and notifications (a scheduler, a mailbox poll, a
cleanup): registered on the runtime as ``(name, task)``; an error in one is logged, the others go on."""


class Runtime(Protocol):
    """What the worker needs of the running server (``server.runtime.Runtime`` is one; named here,
    not imported, so the runtime and its worker do not import each other)."""

    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def tickets(self) -> _Timers: ...

    @property
    def periodic(self) -> Sequence[tuple[str, PeriodicTask]]: ...


log = logging.getLogger("khidma.notify")

_THREAD_IDS = 20
"""At most this many of a conversation's Message-IDs go into ``References`` (the most recent)."""

STOP_GRACE_SECONDS = 10.0
"""How long stopping the worker waits for the message being sent; after that the send is abandoned
(the message stays ``sending`` and goes back to the queue at the next start, under the same id)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DispatchReport(msgspec.Struct, frozen=True):
    """What one round did."""

    sent: int = 0
    retried: int = 0
    """Failed temporarily; due again later."""
    dead: int = 0
    """Failed permanently, or for the last allowed time."""
    unavailable: tuple[str, ...] = ()
    """Channels whose gateway could not be used this round (their messages wait for a later one)."""

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.dead


class DispatchStatus(msgspec.Struct, frozen=True):
    """The outbox as the dispatcher sees it (messages not yet ``sent``)."""

    gateways: Mapping[str, str]
    """Channel → the gateway configured for it (no secrets)."""
    waiting: Mapping[str, Mapping[str, int]]
    """Channel → status (``pending``, ``failed``, ``sending``, ``dead``) → how many."""
    pending_without_gateway: int
    """Messages waiting (``pending`` or ``failed``) on a channel that has no gateway: they will not
    leave until one is configured."""
    channels_without_gateway: tuple[str, ...]
    dead: int


class Dispatcher:
    def __init__(
        self,
        store: Store,
        gateways: Mapping[str, Gateway],
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        batch: int = 50,
        max_attempts: int = 8,
        backoff_base: dt.timedelta = dt.timedelta(seconds=30),
        backoff_cap: dt.timedelta = dt.timedelta(hours=1),
    ) -> None:
        if batch < 1 or max_attempts < 1:
            raise ValueError("batch and max_attempts must be at least 1")
        self.store = store
        self.gateways = dict(gateways)
        self.clock = clock
        self.batch = batch
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap

    @classmethod
    def from_settings(
        cls, store: Store, settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow
    ) -> Dispatcher:
        return cls(store, build_gateways(settings), clock=clock, max_attempts=settings.notify_max_attempts)

    def backoff(self, attempts: int, retry_after: float | None = None) -> dt.timedelta:
        """How long to wait after the ``attempts``-th attempt failed temporarily."""
        delay = self.backoff_base * (1 << min(max(attempts - 1, 0), 30))
        if retry_after is not None:
            delay = max(delay, dt.timedelta(seconds=retry_after))
        return min(delay, self.backoff_cap)

    async def run_once(self, *, stop: asyncio.Event | None = None) -> DispatchReport:
        """Send up to ``batch`` due messages, one at a time; stop early when ``stop`` is set."""
        channels = sorted(self.gateways)
        sent = retried = dead = 0
        unavailable: list[str] = []
        await self.store.requeue_sending(now=self.clock())  # messages a crashed sender left behind
        for _ in range(self.batch):
            if not channels or (stop is not None and stop.is_set()):
                break
            claimed = await self.store.claim_outbox(now=self.clock(), limit=1, channels=channels)
            if not claimed:
                break
            message = claimed[0]
            outcome = await self._deliver(message)
            if outcome == "sent":
                sent += 1
            elif outcome == "dead":
                dead += 1
            else:
                retried += 1
                if outcome == "unavailable":
                    channels.remove(message.channel)
                    unavailable.append(message.channel)
        return DispatchReport(sent=sent, retried=retried, dead=dead, unavailable=tuple(unavailable))

    async def _deliver(self, message: OutboxMessage) -> str:
        gateway = self.gateways[message.channel]
        if message.channel == "email" and message.ticket_id is not None:
            # an answer to the ticket's inbound mail threads with it (a report's mail has no ticket)
            thread = await self.store.mail_thread(message.ticket_id, before=message.created_at)
            message = msgspec.structs.replace(message, thread=tuple(thread[-_THREAD_IDS:]))
        who = f"message {message.id} ({message.channel} to {mask_recipient(message.recipient)})"
        try:
            await gateway.send(message)
        except DeliveryFailure as exc:
            failure: DeliveryFailure = exc
        except Exception as exc:  # a bug in a gateway must not stop the others
            log.exception("%s: %s failed unexpectedly", who, gateway.label)
            failure = DeliveryFailure(f"unexpected error: {type(exc).__name__}")
        else:
            await self.store.mark_sent(message.id, now=self.clock())
            log.info("%s sent through %s, request id %s", who, gateway.label, message.gateway_request_id)
            return "sent"
        now = self.clock()
        if isinstance(failure, PermanentFailure) or message.attempts >= self.max_attempts:
            reason = failure.reason
            if not isinstance(failure, PermanentFailure):
                reason = f"gave up after {message.attempts} attempts; last: {reason}"
            await self.store.mark_failed(message.id, now=now, error=reason, retry_at=None)
            log.warning("%s is dead: %s", who, reason)
            return "dead"
        retry_at = now + self.backoff(message.attempts, failure.retry_after)
        await self.store.mark_failed(message.id, now=now, error=failure.reason, retry_at=retry_at)
        log.warning(
            "%s: attempt %d failed, next at %s: %s",
            who,
            message.attempts,
            retry_at.isoformat(),
            failure.reason,
        )
        return "unavailable" if isinstance(failure, GatewayUnavailable) else "retried"

    async def status(self) -> DispatchStatus:
        waiting: dict[str, Counter[str]] = {}
        for (channel, status), n in (await self.store.count_outbox()).items():  # counted, not read
            waiting.setdefault(channel, Counter())[status] += n
        without = tuple(sorted(c for c in waiting if c not in self.gateways))
        return DispatchStatus(
            gateways={channel: gateway.label for channel, gateway in sorted(self.gateways.items())},
            waiting={channel: dict(counts) for channel, counts in sorted(waiting.items())},
            pending_without_gateway=sum(waiting[c]["pending"] + waiting[c]["failed"] for c in without),
            channels_without_gateway=tuple(
                c for c in without if waiting[c]["pending"] + waiting[c]["failed"]
            ),
            dead=sum(counts["dead"] for counts in waiting.values()),
        )


# --- the background worker ------------------------------------------------------------------------


class RoundReport(msgspec.Struct, frozen=True):
    timers_fired: int
    dispatch: DispatchReport


async def run_round(
    runtime: Runtime, dispatcher: Dispatcher, *, stop: asyncio.Event | None = None
) -> RoundReport:
    """Fire the due timers (their notifications join the outbox), then deliver due messages until
    none is left or a round comes back short. An error is logged, never raised: the worker goes on."""
    fired = 0
    try:
        fired = await runtime.tickets.fire_due_timers()
    except Exception:
        log.exception("firing due timers failed")
    for name, task in runtime.periodic:
        try:
            await task()
        except Exception:
            log.exception("periodic task %s failed", name)
    total = DispatchReport()
    while stop is None or not stop.is_set():
        try:
            report = await dispatcher.run_once(stop=stop)
        except Exception:
            log.exception("dispatching notifications failed")
            break
        total = DispatchReport(
            sent=total.sent + report.sent,
            retried=total.retried + report.retried,
            dead=total.dead + report.dead,
            unavailable=(*total.unavailable, *report.unavailable),
        )
        if report.attempted < dispatcher.batch or report.unavailable:
            break
    return RoundReport(timers_fired=fired, dispatch=total)


async def worker(
    runtime: Runtime,
    interval_seconds: float,
    *,
    stop: asyncio.Event | None = None,
    dispatcher: Dispatcher | None = None,
) -> None:
    """Every ``interval_seconds``: fire due timers and deliver due notifications — until ``stop`` is
    set (the round in progress finishes its current message) or the task is cancelled."""
    stop = stop or asyncio.Event()
    dispatcher = dispatcher or Dispatcher.from_settings(runtime.store, runtime.settings)
    await _warn_without_gateway(dispatcher)
    while not stop.is_set():
        await run_round(runtime, dispatcher, stop=stop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)


async def _warn_without_gateway(dispatcher: Dispatcher) -> None:
    try:
        status = await dispatcher.status()
    except Exception:
        log.exception("reading the outbox failed")
        return
    if status.pending_without_gateway:
        log.warning(
            "%d notification(s) wait on channels with no gateway configured (%s); they stay pending "
            "until one is (docs/operation.md, Notifications)",
            status.pending_without_gateway,
            ", ".join(status.channels_without_gateway),
        )


@dataclass
class BackgroundWorker:
    """The worker task of a running server: ``start()`` in ``Runtime.open``, ``stop()`` in ``close``."""

    runtime: Runtime
    interval_seconds: float
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            worker(self.runtime, self.interval_seconds, stop=self._stop), name="khidma-worker"
        )

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Let the message being sent finish (at most ``grace_seconds``), then end the task."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, grace_seconds)  # cancels the task on time-out
        except TimeoutError:
            log.warning("the worker did not stop within %g s; its current send was abandoned", grace_seconds)
        except Exception:
            log.exception("the worker failed")
