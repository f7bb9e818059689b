"""The file store (backend/storage.py): a write is whole or absent, never half, and keys stay in its folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.settings import Settings
from backend.storage import FileStorage, Storage, open_storage


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_put_get_delete_by_key(tmp_path: Path) -> None:
    store = FileStorage(tmp_path / "attachments")
    store.put("photos/ab/ab12.jpg", b"first")
    store.put("photos/ab/ab12.jpg", b"second")  # replaced, not a second file
    assert store.get("photos/ab/ab12.jpg") == b"second"
    assert files_under(tmp_path / "attachments") == ["photos/ab/ab12.jpg"]
    store.delete("photos/ab/ab12.jpg")
    store.delete("photos/ab/ab12.jpg")  # absent already: not an error
    assert store.get("photos/ab/ab12.jpg") is None


def test_a_write_cut_short_leaves_the_old_bytes_and_no_stray_file(tmp_path: Path, monkeypatch) -> None:
    store = FileStorage(tmp_path)
    store.put("photos/ab/ab12.jpg", b"kept")

    def power_cut(descriptor: int) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError):
        store.put("photos/ab/ab12.jpg", b"half written")
    monkeypatch.undo()
    assert store.get("photos/ab/ab12.jpg") == b"kept"
    assert files_under(tmp_path) == ["photos/ab/ab12.jpg"]


@pytest.mark.parametrize("key", ["../secret_key", "/etc/passwd", "photos/../../x", "photos//x", ".hidden", ""])
def test_a_key_that_could_leave_the_folder_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        FileStorage(tmp_path / "attachments").put(key, b"x")
    assert not (tmp_path / "attachments").exists()


def test_the_setting_chooses_the_file_store_under_the_data_folder(tmp_path: Path) -> None:
    store = open_storage(Settings(database_url="sqlite://", data_dir=tmp_path, secret_key="s" * 32))
    assert isinstance(store, Storage)
    assert isinstance(store, FileStorage)
    assert store.root == tmp_path / "attachments"
