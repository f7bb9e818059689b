"""Where files live outside the database (visit photos): put, get and delete by key.

`open_storage(settings)` builds the store the `attachment_storage` setting names. `file`, the one built in,
keeps each key as a file under `data_dir/attachments`. A write is atomic: the bytes go to a temporary file in
the same folder, are fsynced, then renamed over the key's name (and the folder fsynced), so a cut upload or a
crash leaves the old file or the new one, never half of one, and never a second copy.

`Storage` is the whole interface: an S3-compatible object store (whose PUT of an object is atomic too) could
implement the same three methods and be chosen by the same setting. None is built in.

Keys are relative paths of plain segments (`photos/ab/ab12….jpg`) chosen by the caller; anything that could
leave the folder is refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from backend.settings import Settings

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@runtime_checkable
class Storage(Protocol):
    """Bytes by key: what the app needs of a file or object store."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically, replacing what was there."""

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None when there are none."""

    def delete(self, key: str) -> None:
        """Remove `key`; a key that is absent already is not an error."""


class FileStorage:
    """Each key a file under `root`, written atomically (temp file, fsync, rename, fsync of the folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        parts = key.split("/")
        if not all(_SEGMENT.fullmatch(part) for part in parts):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Temporary names start with a dot: never a key (keys start with a letter or digit).
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_folder(target.parent)

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        target = self.path(key)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
            _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """A rename or an unlink is durable once the folder holding the name is on disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def open_storage(settings: Settings) -> Storage:
    """The store the settings choose (`attachment_storage`; only `file` is built in)."""
    if settings.attachment_storage == "file":
        return FileStorage(settings.data_dir / "attachments")
    raise ValueError(f"unknown attachment storage: {settings.attachment_storage!r}")
