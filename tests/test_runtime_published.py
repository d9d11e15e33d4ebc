"""``Runtime.published`` — every service's latest version, asked by every ticket read — is made once per
set of latest versions, and made again when a publish (by this process or another) moves them."""

from __future__ import annotations

from pathlib import Path

import msgspec

from server.definitions.bundle import bundle_for, content_hash
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.runtime import Runtime
from server.tickets.reading import service_departments
from tests.test_store import NOW
from tests.web import settings_for


async def test_published_is_made_again_only_when_a_publish_moves_the_latest_versions(tmp_path: Path) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    runtime = await Runtime.open(settings_for(tmp_path, background_worker=False), catalogue)
    try:
        first = await runtime.published()
        assert [c.service.id for _v, c in first] == [c.service.id for _v, c in await runtime.published()]
        assert runtime._published is not None
        made = runtime._published[1]
        first.clear()  # a caller's own copy: the runtime's is not touched
        again = await runtime.published()
        assert runtime._published[1] is made and len(again) == len(made) == len(catalogue.services)

        # a publish (through the store, as another process would): the new version is what is read
        bundle = bundle_for(catalogue, "inquiries")
        service = msgspec.json.decode(bundle["service_definitions/inquiries.json"])
        service["department"] = "maintenance_center"
        bundle["service_definitions/inquiries.json"] = msgspec.json.encode(service).decode()
        version = await runtime.store.publish_definition(
            "inquiries", bundle, content_hash(bundle), created_by=None, note="", now=NOW
        )
        moved = {v.service_id: v.id for v, _c in await runtime.published()}
        assert moved["inquiries"] == version.id and runtime._published[1] is not made
        assert (await service_departments(runtime))["inquiries"] == "maintenance_center"
    finally:
        await runtime.close()
