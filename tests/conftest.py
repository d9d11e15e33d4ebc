"""Shared fixtures."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port  # each xdist worker draws from its own share of ports

pytest_plugins = ["tests.pg"]  # the throwaway PostgreSQL cluster: pg_cluster, pg_url


@contextlib.contextmanager
def running_server(db: Path | str, *extra: str) -> Iterator[str]:
    """``khidma serve`` on a free loopback port with the SQLite file or PostgreSQL URL ``db`` (a test's
    ``tests.web.db_for``); yields its base URL. On PostgreSQL the uploads go to a temporary directory
    unless ``extra`` names one (``--attachments``)."""
    port = free_port()
    files: list[str] = []
    if str(db).startswith("postgresql://") and "--attachments" not in extra:
        files = ["--attachments", tempfile.mkdtemp(prefix="khidma-files-")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--db", str(db), *files, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("khidma serve did not answer within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if files:
            shutil.rmtree(files[1], ignore_errors=True)


# --- a real IMAP server on loopback: Debian's dovecot (installed by `make test`) ---------------------


@dataclasses.dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    password: str
    """Every user name logs in with it (each has a mailbox of its own: tests use one each)."""


_DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
base_dir = {base}/run
state_dir = {base}/run/state
log_path = {base}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
mail_location = maildir:{base}/mail/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """dovecot on a free loopback port with a temporary configuration: plain IMAP (``ssl = no``), any
    user name with one static password, Maildirs in a temporary directory. Run as the current user; as
    root (CI), the mail and login processes run as the package's ``dovecot`` and ``dovenull`` users."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        pytest.fail("dovecot is not installed: `make dovecot` (or `make test`) installs dovecot-imapd")
    base = Path(tempfile.mkdtemp(prefix="khidma-dovecot-"))
    base.chmod(0o755)  # the mail user (not root) must reach its Maildir
    if os.getuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        login_user = internal_user = mail_user.pw_name
    (base / "mail").mkdir()
    (base / "run").mkdir()
    if os.getuid() == 0:
        os.chown(base / "mail", mail_user.pw_uid, mail_user.pw_gid)
    port = free_port()
    server = Dovecot(host="127.0.0.1", port=port, password="imap-test-password")
    conf = base / "dovecot.conf"
    conf.write_text(
        _DOVECOT_CONF.format(
            base=base,
            login_user=login_user,
            internal_user=internal_user,
            password=server.password,
            uid=mail_user.pw_uid,
            gid=mail_user.pw_gid,
            port=port,
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((server.host, port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"dovecot did not start:\n{output}\n{log}")
                time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        shutil.rmtree(base, ignore_errors=True)
