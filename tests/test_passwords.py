"""Passwords: Argon2id with OWASP's parameters; hashes from before (scrypt) still log in, and are
replaced by Argon2id ones at that log-in, through the real app."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher, extract_parameters
from litestar.testing import AsyncTestClient

from server.accounts.passwords import hash_password, needs_rehash, verify_password
from server.app import create_app
from tests.test_accounts import PASSWORD, log_in, store_of
from tests.web import settings_for


def scrypt_hash(password: str, n: int = 2**14) -> str:
    """A hash as khidma made them before Argon2id."""
    salt = b"fedcba9876543210"
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def test_new_hashes_are_argon2id_with_owasp_parameters() -> None:
    encoded = hash_password(PASSWORD)
    read = extract_parameters(encoded)  # argon2-cffi's own reading of the PHC string
    assert read.type.name == "ID"
    assert (read.memory_cost, read.time_cost, read.parallelism) == (19456, 2, 1)  # OWASP minimum
    assert read.salt_len == 16 and read.hash_len == 32
    assert verify_password(PASSWORD, encoded) and not verify_password(PASSWORD[:-1], encoded)
    assert not needs_rehash(encoded)


def test_argon2id_with_other_parameters_verifies_and_is_flagged() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    assert verify_password(PASSWORD, weaker)
    assert needs_rehash(weaker)


def test_the_old_scrypt_hashes_still_verify_and_are_flagged() -> None:
    old = scrypt_hash(PASSWORD)
    assert verify_password(PASSWORD, old)
    assert not verify_password("not the password", old)
    assert needs_rehash(old)


async def test_an_scrypt_hash_is_replaced_by_argon2id_at_log_in(tmp_path: Path) -> None:
    async with AsyncTestClient(app=create_app(settings_for(tmp_path))) as client:
        store = store_of(client)
        user = await store.add_user(
            username="salma",
            name="Salma",
            roles=("department_staff",),
            department="classrooms",
            email="salma@example.org",
            password_hash=scrypt_hash(PASSWORD),
            active=True,
            now=datetime.now(UTC),
        )
        # a wrong password changes nothing
        assert (await log_in(client, "salma", "wrong password")).status_code == 400
        unchanged = await store.get_user_by_username("salma")
        assert unchanged is not None and unchanged.password_hash == scrypt_hash(PASSWORD)

        assert (await log_in(client, "salma", PASSWORD)).status_code == 303
        after = await store.get_user_by_username("salma")
        assert after is not None and after.id == user.id
        assert after.password_hash is not None and after.password_hash.startswith(
            "$argon2id$v=19$m=19456,t=2,p=1$"
        )
        assert verify_password(PASSWORD, after.password_hash) and not needs_rehash(after.password_hash)

        # and the new hash logs in (a fresh client: no session carried over)
    async with AsyncTestClient(app=create_app(settings_for(tmp_path))) as again:
        assert (await log_in(again, "salma", PASSWORD)).status_code == 303
        final = await store_of(again).get_user_by_username("salma")
        assert final is not None and final.password_hash == after.password_hash  # not rehashed twice
