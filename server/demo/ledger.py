"""The demo custody ledger: custody issued from (positive) and returned to (negative) the
administration's warehouse, so that the clearance service can be tried both ways."""

from __future__ import annotations

from typing import Any

from server.definitions.model import Organisation
from server.store.interface import Store

CUSTODY_TABLE = "custody"
HOLDS_CUSTODY = "100234"
"""An employee who still holds custody: their clearance cannot be forwarded until it is returned."""
RETURNED_CUSTODY = "100871"
"""An employee who was issued custody and returned it: the director needs the return form."""
NO_CUSTODY = "100555"
"""An employee never issued anything: the clearance goes straight through."""

CUSTODY_ROWS: tuple[dict[str, Any], ...] = (
    {"employee_id": HOLDS_CUSTODY, "item": "جهاز حاسب محمول", "quantity": 1, "date": "2025-09-14"},
    {"employee_id": HOLDS_CUSTODY, "item": "جهاز عرض (بروجكتور)", "quantity": 2, "date": "2025-10-02"},
    {"employee_id": HOLDS_CUSTODY, "item": "جهاز عرض (بروجكتور)", "quantity": -1, "date": "2026-03-11"},
    {"employee_id": RETURNED_CUSTODY, "item": "كاميرا عرض المستندات", "quantity": 1, "date": "2025-11-20"},
    {"employee_id": RETURNED_CUSTODY, "item": "كاميرا عرض المستندات", "quantity": -1, "date": "2026-06-01"},
    {"employee_id": "100912", "item": "سبورة ذكية محمولة", "quantity": 1, "date": "2026-01-25"},
)


async def ensure_custody_ledger(store: Store, organisation: Organisation) -> int:
    """Fill the custody table when the organisation declares it and it is empty (an administrator's
    upload is never overwritten); returns the number of rows written."""
    table = organisation.lookups.get(CUSTODY_TABLE)
    if table is None or await store.count_lookup_rows(CUSTODY_TABLE) > 0:
        return 0
    await store.replace_lookup_table(CUSTODY_TABLE, table.key, CUSTODY_ROWS)
    return len(CUSTODY_ROWS)
