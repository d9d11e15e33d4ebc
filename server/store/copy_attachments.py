"""``khidma migrate-store``'s attachment files: the bytes of uploaded files live outside the database,
at ``<attachments dir>/<sha256[:2]>/<sha256>`` (``sqlite_attachments.blob_path``) on both backends, so
copying the rows alone would leave every attachment of the copy pointing at nothing.

Before a row is copied, every file the source's ``attachments`` rows name must be in the source's
directory, and the target must have a directory: a SQLite database's is ``<db>-attachments`` unless one
is named (as ``--attachments`` defaults), a PostgreSQL database's must be named (its servers are given
one with ``--attachments``; ``./khidma-attachments`` depends on where a server happens to start). Each
file is then copied through a temporary file, hashed as it goes (bytes that are not what their name
says are refused), synced to disk and renamed into place, as the store writes one; the count of files
in the target must be the count the source names, as for the rows. A file the
target directory already holds with the right bytes is kept (a second machine sharing it, or a copy run
again after a failure); one with other bytes is replaced.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import msgspec

from server.store.interface import StoreError
from server.store.open import is_postgres_url
from server.store.sqlite_attachments import _fsync_dir, blob_path


class AttachmentsRefused(StoreError):
    """The attachment files cannot be copied as asked (nothing was copied)."""


class FilesCopied(msgspec.Struct, frozen=True):
    copied: int
    """Files written into the target directory."""
    kept: int
    """Files the target directory already held with the same bytes."""

    @property
    def total(self) -> int:
        return self.copied + self.kept


def default_directory(db: str) -> Path | None:
    """The attachments directory a database has without ``--attachments``: beside a SQLite file;
    none that can be relied on for PostgreSQL."""
    if is_postgres_url(db):
        return None
    path = Path(db)
    return path.with_name(path.name + "-attachments")


def plan(
    hashes: Collection[str], source: str, target: str, source_dir: Path | None, target_dir: Path | None
) -> tuple[Path, Path] | None:
    """The two directories to copy between (None: no file to copy), or the refusal, naming what is
    wrong and the option that fixes it."""
    if not hashes:
        return None
    source_dir = source_dir or default_directory(source)
    if source_dir is None:
        raise AttachmentsRefused(
            f"the source database names {len(hashes)} attachment file(s); give the directory its servers keep"
            " them in (their --attachments) with --from-attachments DIR"
        )
    missing = sorted(h for h in hashes if not blob_path(source_dir, h).is_file())
    if missing:
        raise AttachmentsRefused(
            f"{len(missing)} of the {len(hashes)} attachment file(s) the source database names are not in"
            f" {source_dir} (the first: {blob_path(source_dir, missing[0])}); name the directory that holds"
            " them with --from-attachments DIR"
        )
    target_dir = target_dir or default_directory(target)
    if target_dir is None:
        raise AttachmentsRefused(
            f"the source database names {len(hashes)} attachment file(s) and the PostgreSQL target has no"
            " directory for them: give the one its servers will use (their --attachments) with"
            " --to-attachments DIR"
        )
    return source_dir, target_dir


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_files(hashes: Collection[str], source_dir: Path, target_dir: Path) -> FilesCopied:
    """Copy the files named by ``hashes`` (blocking; run it in a thread), each verified in the target."""
    copied = kept = 0
    for sha256 in sorted(hashes):
        to = blob_path(target_dir, sha256)
        if to.is_file() and _sha256(to) == sha256:
            kept += 1
            continue
        if not to.parent.is_dir():
            to.parent.mkdir(parents=True, exist_ok=True)
            _fsync_dir(to.parent.parent)
        fd, temporary = tempfile.mkstemp(dir=to.parent, prefix=".copy-")
        try:
            digest = hashlib.sha256()
            with blob_path(source_dir, sha256).open("rb") as read, os.fdopen(fd, "wb") as write:
                for block in iter(lambda: read.read(1 << 20), b""):
                    digest.update(block)
                    write.write(block)
                write.flush()
                os.fsync(write.fileno())
            if digest.hexdigest() != sha256:
                raise AttachmentsRefused(
                    f"the attachment file {blob_path(source_dir, sha256)} does not hold the bytes its name"
                    " says (its sha256 differs): the source directory is damaged"
                )
            Path(temporary).replace(to)
        finally:
            Path(temporary).unlink(missing_ok=True)
        _fsync_dir(to.parent)
        copied += 1
    verified = sum(1 for sha256 in hashes if blob_path(target_dir, sha256).is_file())
    if verified != len(hashes):
        raise AttachmentsRefused(
            f"{verified} attachment files in {target_dir}, not the {len(hashes)} the source database names"
        )
    return FilesCopied(copied=copied, kept=kept)
