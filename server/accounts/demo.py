"""Demo accounts (``khidma serve --demo``): one account per role, to try khidma out.

Every demo account has the same published password, ``DEMO_PASSWORD``: demo accounts are for trying
khidma on one's own machine, never for a server others can reach. Creating them is idempotent: an
account whose username exists already is left as it is, except that a missing mobile number is filled
in (the SMS and WhatsApp notifications of the demo tickets need one).

The accounts: every organisation-wide role by its own name (``customer_service``, ``director``…),
``head.<department>`` for every department headed by a ``department_head``, and ``staff.<department>``
for every such department that is not the intake unit (customer service's own staff are its
representatives). Each has an e-mail address and a Saudi mobile number in international form.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import msgspec

from server.accounts.passwords import hash_password
from server.definitions.model import Organisation
from server.store.interface import AlreadyExists, Store

DEMO_PASSWORD = "khidma-demo"  # noqa: S105 (published on purpose: demo mode only)
DEMO_EMAIL_DOMAIN = "example.org"
_HEAD_ROLE = "department_head"
_STAFF_ROLE = "department_staff"
_COORDINATOR = "tawasul_coordinator"
_MOBILE_PREFIX = "+96655"
"""Demo mobiles: ``+96655`` and seven digits, numbered in the order of the accounts."""


class DemoAccount(msgspec.Struct, frozen=True):
    username: str
    name: str
    role: str
    department: str | None
    phone: str | None = None

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


def demo_mobile(index: int) -> str:
    """The ``index``-th demo mobile number, in international form (``+9665…``)."""
    return f"{_MOBILE_PREFIX}{1000 + index:07d}"


def demo_accounts(organisation: Organisation) -> list[DemoAccount]:
    """The accounts to create for ``organisation`` (see the module's description). Roles the
    organisation does not declare are skipped."""
    roles = organisation.roles
    departments = organisation.departments

    def role_name(role: str) -> str:
        return roles[role].name.en if role in roles else role

    def dept_name(dept: str | None) -> str:
        return departments[dept].name.en if dept in departments else ""

    def department_of(role: str) -> str | None:
        # An organisation-wide role sits in the department named like it, or the one it heads;
        # the Tawasul coordinator works in the intake unit.
        if role in departments:
            return role
        if role == _COORDINATOR:
            return next((d for d, dept in departments.items() if dept.intake), None)
        return next((d for d, dept in departments.items() if dept.head_role == role), None)

    planned: list[tuple[str, str, str, str | None]] = []
    for role, definition in roles.items():
        if definition.scope == "department":
            continue
        department = department_of(role) if definition.scope == "organisation" else None
        planned.append((role, f"{role_name(role)} (demo)", role, department))
    headed = [d for d, dept in departments.items() if dept.head_role == _HEAD_ROLE]
    if _HEAD_ROLE in roles:
        for dept_id in headed:
            dept = departments[dept_id]
            title = dept.head_title.en if dept.head_title else f"Head of {dept_name(dept_id)}"
            planned.append((f"head.{dept_id}", f"{title} (demo)", _HEAD_ROLE, dept_id))
    if _STAFF_ROLE in roles:
        for dept_id in headed:
            if departments[dept_id].intake:
                continue
            name = f"{role_name(_STAFF_ROLE)}, {dept_name(dept_id)} (demo)"
            planned.append((f"staff.{dept_id}", name, _STAFF_ROLE, dept_id))
    return [
        DemoAccount(username, name, role, department, demo_mobile(index))
        for index, (username, name, role, department) in enumerate(planned, start=1)
    ]


async def ensure_demo_accounts(
    store: Store, organisation: Organisation, *, now: datetime
) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet, give the existing ones without a mobile their
    demo mobile; returns every demo account (new or not)."""
    accounts = demo_accounts(organisation)
    password_hash: str | None = None
    for account in accounts:
        existing = await store.get_user_by_username(account.username)
        if existing is not None:
            if existing.phone is None and account.phone is not None:
                await store.update_user(
                    existing.id,
                    name=existing.name,
                    email=existing.email,
                    phone=account.phone,
                    department=existing.department,
                    roles=existing.roles,
                )
            continue
        if password_hash is None:  # one hash for all: scrypt is slow on purpose
            password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
        try:
            await store.add_user(
                username=account.username,
                name=account.name,
                roles=[account.role],
                department=account.department,
                email=account.email,
                phone=account.phone,
                password_hash=password_hash,
                now=now,
            )
        except AlreadyExists:  # created meanwhile by another process: fine
            continue
    return accounts


def demo_banner(accounts: list[DemoAccount]) -> str:
    """What ``khidma serve --demo`` prints: a warning, then one line per account."""
    width = max(len(a.username) for a in accounts) if accounts else 0
    lines = [
        "WARNING: demo accounts are for trying khidma out. They share one published password:",
        "never use --demo on a server other people can reach.",
        f"Demo log-ins (password for every one: {DEMO_PASSWORD}):",
    ]
    for account in accounts:
        where = f"  [{account.department}]" if account.department else ""
        lines.append(f"  {account.username.ljust(width)}  {account.role}{where}")
    return "\n".join(lines)
