"""Blob files fan out over 256 folders; files an older server wrote one level deeper are still
read, not written again, and removed with the blob."""
from __future__ import annotations

import hashlib
from pathlib import Path

from app.extensions import db
from app.models import Blob
from app.rights import erasure
from app.services import storage

PHOTO = b"\xff\xd8\xff\xe0 a photo \xff\xd9"
SHA256 = hashlib.sha256(PHOTO).hexdigest()


def _older(root: Path, data: bytes = PHOTO) -> Path:
    """A file where servers before the 256-folder layout wrote it."""
    path = root / "blobs" / SHA256[:2] / SHA256[2:4] / SHA256
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def test_new_files_go_one_folder_deep_and_a_folder_is_made_once(app):
    root = Path(app.config["STORAGE_DIR"])
    sha256, _ = storage.write_file(PHOTO)
    assert storage.blob_path(sha256) == root / "blobs" / sha256[:2] / sha256
    assert storage.blob_path(sha256).read_bytes() == PHOTO
    assert [p.name for p in (root / "blobs").iterdir()] == [sha256[:2]]
    neighbour = next(b"%d" % i for i in range(10_000)
                     if hashlib.sha256(b"%d" % i).hexdigest()[:2] == sha256[:2]
                     and hashlib.sha256(b"%d" % i).hexdigest() != sha256)
    other, _ = storage.write_file(neighbour)
    assert sorted(p.name for p in (root / "blobs" / sha256[:2]).iterdir()) == sorted(
        [sha256, other])


def test_a_file_in_the_older_layout_is_read_and_not_written_twice(app):
    root = Path(app.config["STORAGE_DIR"])
    older = _older(root)
    assert storage.blob_path(SHA256) == older
    blob = Blob(sha256=SHA256, md5=hashlib.md5(PHOTO).hexdigest(), size=len(PHOTO))
    assert storage.read_blob(blob) == PHOTO
    storage.write_known(PHOTO, SHA256)
    assert not (root / "blobs" / SHA256[:2] / SHA256).exists()


def test_a_truncated_older_file_is_written_again_and_the_new_one_is_read(app):
    root = Path(app.config["STORAGE_DIR"])
    _older(root, PHOTO[:5])
    storage.write_known(PHOTO, SHA256)
    assert storage.blob_path(SHA256) == root / "blobs" / SHA256[:2] / SHA256
    assert storage.blob_path(SHA256).read_bytes() == PHOTO


def test_erasing_an_orphaned_blob_removes_its_file_in_either_layout(app):
    root = Path(app.config["STORAGE_DIR"])
    older = _older(root, PHOTO[:5])
    storage.write_known(PHOTO, SHA256)
    blob = Blob(sha256=SHA256, md5=hashlib.md5(PHOTO).hexdigest(), size=len(PHOTO))
    db.session.add(blob)
    db.session.flush()
    files = erasure._orphaned_blobs({blob.id})
    db.session.commit()
    erasure.remove_files(files)
    assert not older.exists()
    assert not (root / "blobs" / SHA256[:2] / SHA256).exists()
    assert db.session.get(Blob, blob.id) is None
