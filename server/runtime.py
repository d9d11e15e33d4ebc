"""What one running khidma holds: settings, the store, the ticket service, the shipped catalogue.

Opened by the app's lifespan (``server/app.py``) and closed with it; tests build one per app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from server.audit.keys import audit_key
from server.definitions.bundle import BundleInvalid
from server.definitions.catalogue import Catalogue, CompiledService
from server.definitions.crossref import ORGANISATION_FILE
from server.definitions.loader import load_tree
from server.definitions.model import Organisation
from server.election import WorkerElection
from server.notify.dispatcher import BackgroundWorker, PeriodicTask
from server.settings import Settings
from server.store.interface import Store
from server.store.open import open_any
from server.store.records import DefinitionVersion
from server.tickets.service import TicketService
from server.tickets.uploads import OrphanCleanup
from server.working_time import WorkingCalendar


class DefinitionsInvalid(RuntimeError):
    """The definitions tree the server was asked to load has errors."""


def load_shipped(settings: Settings) -> Catalogue:
    result = load_tree(settings.definitions)
    if result.catalogue is None:
        raise DefinitionsInvalid("\n".join(str(e) for e in result.errors))
    return result.catalogue


@dataclass
class Runtime:
    settings: Settings
    catalogue: Catalogue
    store: Store
    tickets: TicketService
    worker: BackgroundWorker | None = field(default=None, repr=False)
    """Delivers notifications and fires timers (server/notify); None with ``background_worker`` off."""
    organisation: Organisation | None = None
    """The organisation as last published (roles, departments, calendar…); see :meth:`refresh`."""
    organisation_text: str = ""
    """The text of that organisation file."""
    _organisation_stamp: int | None = field(default=None, repr=False)
    """The definitions stamp ``organisation`` was read at (see :meth:`refresh`)."""
    election: WorkerElection | None = field(default=None, repr=False)
    """This process's part in the worker election (``settings.worker_election``), else None."""
    _published: (
        tuple[Mapping[str, DefinitionVersion], list[tuple[DefinitionVersion, CompiledService]]] | None
    ) = field(default=None, repr=False)
    """:meth:`published` and the latest versions it was made from (the ticket service's cached mapping:
    the same object until a publish)."""
    periodic: list[tuple[str, PeriodicTask]] = field(default_factory=list)
    """What the background worker runs every round besides timers and notifications (by name; see
    ``server.notify.dispatcher.PeriodicTask``). Register in :meth:`open`, before the worker starts."""

    @classmethod
    async def open(
        cls,
        settings: Settings,
        catalogue: Catalogue,
        *,
        background: Sequence[Callable[[Runtime], tuple[str, PeriodicTask]]] = (),
    ) -> Runtime:
        """``background``: more periodic tasks, each made from the runtime (the report scheduler,
        ``server.reports.schedule.report_schedule``: passed by the server and ``khidma notify``,
        named there because the reports build on the runtime)."""
        store = await open_any(
            settings.db_url or settings.db_path, settings.attachments_dir, audit_key=audit_key(settings)
        )
        calendar = WorkingCalendar.from_definition(catalogue.organisation.calendar)
        tickets = TicketService(store, calendar, base_url=settings.base_url)
        await tickets.publish_shipped(catalogue)
        tickets.seed(catalogue)  # the shipped services, compiled when the tree was loaded
        await tickets.warm()
        runtime = cls(settings=settings, catalogue=catalogue, store=store, tickets=tickets)
        await runtime.refresh()
        # --- inbound e-mail: the IMAP poll, a periodic task of the worker (server/channels/imap.py) ---
        if settings.imap_host:
            from server.channels.imap import poll_mailbox

            runtime.periodic.append(("imap", lambda: poll_mailbox(runtime)))
        # --- uploads of failed submissions, removed after a grace period (server/tickets/uploads.py) ---
        runtime.periodic.append(
            (
                "orphan_attachments",
                OrphanCleanup(store, grace=timedelta(hours=settings.orphan_upload_hours)),
            )
        )
        runtime.periodic.extend(make(runtime) for make in background)
        # --- notifications: the background worker (server/notify/dispatcher.py), in the process elected
        # among those serving the database when ``worker_election`` (server/election.py) ---
        if settings.background_worker and settings.worker_election:
            runtime.election = WorkerElection(settings, runtime._start_worker)
            if not await runtime.election.try_once():
                runtime.election.start()  # lost: try again every worker_election_seconds
        elif settings.background_worker:
            runtime._start_worker()
        return runtime

    def _start_worker(self) -> None:
        self.worker = BackgroundWorker(self, self.settings.worker_interval_seconds)
        self.worker.start()

    async def close(self) -> None:
        if self.election is not None:
            await self.election.stop()
        if self.worker is not None:  # first: it may be sending (stopped between two messages)
            await self.worker.stop()
            self.worker = None
        await self.store.close()

    async def refresh(self) -> None:
        """Follow the organisation of the most recently published version (an administrator may have
        published a new one), and the working calendar with it."""
        versions = list((await self.tickets.latest_versions()).values())
        self._organisation_stamp = self.tickets.stamp
        if not versions:
            self.organisation = self.catalogue.organisation
            self.organisation_text = self.catalogue.sources[ORGANISATION_FILE]
            return
        newest = max(versions, key=lambda v: v.id)
        self.organisation = (await self.tickets.compiled_version(newest.id)).organisation
        self.organisation_text = str(
            newest.bundle.get(ORGANISATION_FILE, self.catalogue.sources[ORGANISATION_FILE])
        )
        self.tickets.calendar = WorkingCalendar.from_definition(self.organisation.calendar)
        self.tickets.notifier.calendar = self.tickets.calendar

    @property
    def org(self) -> Organisation:
        """The current organisation (the shipped one until :meth:`refresh` has run)."""
        return self.organisation or self.catalogue.organisation

    async def _latest(self) -> Mapping[str, DefinitionVersion]:
        """The latest versions (cached by the ticket service until a publish moves the definitions
        stamp); a publish by another process also brings its organisation here."""
        latest = await self.tickets.latest_versions()
        if self.tickets.stamp != self._organisation_stamp:
            await self.refresh()
        return latest

    async def published(self) -> list[tuple[DefinitionVersion, CompiledService]]:
        """Every service's latest published version, in catalogue order (order, then id); made again
        only when the latest versions moved — every ticket read asks (each service's department is
        what a department's staff may read by: ``server/tickets/reading.py``)."""
        latest = await self._latest()
        if self._published is not None and self._published[0] is latest:
            return list(self._published[1])
        found = []
        for version in latest.values():
            try:
                found.append((version, await self.tickets.compiled_version(version.id)))
            except BundleInvalid:  # published before today's checks refused it (logged at start)
                continue
        found.sort(key=lambda pair: (pair[1].service.order, pair[1].service.id))
        self._published = (latest, found)
        return list(found)

    async def published_service(self, service_id: str) -> tuple[DefinitionVersion, CompiledService] | None:
        version = (await self._latest()).get(service_id)
        if version is None:
            return None
        return version, await self.tickets.compiled_version(version.id)
