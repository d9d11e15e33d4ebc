"""Demo accounts (``khidma serve --demo``): one account per role, to try khidma out.

Every demo account has the same published password, ``DEMO_PASSWORD``: demo accounts are for trying
khidma on one's own machine, never for a server others can reach. Creating them is idempotent: an
account whose username exists already is left as it is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from server.accounts.passwords import hash_password
from server.definitions.model import Organisation
from server.store.interface import AlreadyExists, Store

DEMO_PASSWORD = "khidma-demo"  # noqa: S105 (published on purpose: demo mode only)
DEMO_EMAIL_DOMAIN = "example.org"
_STAFF_DEPARTMENT = "classrooms"
"""The department that gets a staff account too (the head of every department gets one)."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    role: str
    department: str | None

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


def demo_accounts(organisation: Organisation) -> list[DemoAccount]:
    """The accounts to create for ``organisation``: the organisation-wide roles by their own name
    (``customer_service``, ``director``…), ``head.<department>`` for every department whose head
    role is ``department_head``, and ``staff.classrooms``. Roles the organisation does not declare
    are skipped."""
    roles = organisation.roles
    departments = organisation.departments

    def role_name(role: str) -> str:
        return roles[role].name.en if role in roles else role

    def dept_name(dept: str | None) -> str:
        return departments[dept].name.en if dept in departments else ""

    def department_of(role: str) -> str | None:
        # An organisation-wide role sits in the department named like it, or the one it heads.
        if role in departments:
            return role
        if role in ("tawasul_coordinator",) and "customer_service" in departments:
            return "customer_service"
        return next((d for d, dept in departments.items() if dept.head_role == role), None)

    accounts: list[DemoAccount] = []
    for role, definition in roles.items():
        if definition.scope == "department":
            continue
        department = department_of(role) if definition.scope == "organisation" else None
        accounts.append(DemoAccount(role, f"{role_name(role)} (demo)", role, department))
    if "department_head" in roles:
        for dept_id, dept in departments.items():
            if dept.head_role == "department_head":
                name = (
                    dept.head_title.en if dept.head_title else f"Head of {dept_name(dept_id)}"
                ) + " (demo)"
                accounts.append(DemoAccount(f"head.{dept_id}", name, "department_head", dept_id))
    if "department_staff" in roles and _STAFF_DEPARTMENT in departments:
        name = f"{role_name('department_staff')}, {dept_name(_STAFF_DEPARTMENT)} (demo)"
        accounts.append(
            DemoAccount(f"staff.{_STAFF_DEPARTMENT}", name, "department_staff", _STAFF_DEPARTMENT)
        )
    return accounts


async def ensure_demo_accounts(
    store: Store, organisation: Organisation, *, now: datetime
) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns every demo account (new or not)."""
    accounts = demo_accounts(organisation)
    for account in accounts:
        if await store.get_user_by_username(account.username) is not None:
            continue
        password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)
        try:
            await store.add_user(
                username=account.username,
                name=account.name,
                roles=[account.role],
                department=account.department,
                email=account.email,
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
