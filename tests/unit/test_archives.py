"""Stored copies of the runtime's archives (buildtools/archives.py)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from buildtools.archives import (
    STORED_DIR,
    store_zip,
    write_stored_variants,
)
from buildtools.assets import compressible

ENTRIES = {"pkg/__init__.py": b"x = 1\n" * 400, "pkg/data.bin": bytes(range(256)) * 40}


def deflated_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in ENTRIES.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 6, 7, 8, 10))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def test_stored_zip_has_the_same_entries_uncompressed(tmp_path: Path) -> None:
    source = deflated_zip(tmp_path / "a.whl")
    store_zip(source, tmp_path / "out" / "a.whl")
    with zipfile.ZipFile(tmp_path / "out" / "a.whl") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == list(ENTRIES)
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert {i.date_time for i in infos} == {(2024, 5, 6, 7, 8, 10)}
        assert {n: zf.read(n) for n in ENTRIES} == ENTRIES
    assert (tmp_path / "out" / "a.whl").stat().st_size > source.stat().st_size


def test_stored_zip_is_reproducible(tmp_path: Path) -> None:
    source = deflated_zip(tmp_path / "a.whl")
    store_zip(source, tmp_path / "1.whl")
    store_zip(source, tmp_path / "2.whl")
    assert (tmp_path / "1.whl").read_bytes() == (tmp_path / "2.whl").read_bytes()


def test_variants_and_their_hashes(tmp_path: Path) -> None:
    deflated_zip(tmp_path / "a.whl")
    (tmp_path / "trimmed").mkdir()
    deflated_zip(tmp_path / "trimmed" / "b.whl")
    manifest = write_stored_variants(tmp_path, {"a.whl": "a.whl", "b.whl": "trimmed/b.whl"})

    def sha(path: str) -> str:
        return hashlib.sha256((tmp_path / path).read_bytes()).hexdigest()

    assert manifest == {
        name: {
            "deflated": {"path": path, "sha256": sha(path)},
            "stored": {"path": f"{STORED_DIR}/{name}", "sha256": sha(f"{STORED_DIR}/{name}")},
        }
        for name, path in (("a.whl", "a.whl"), ("b.whl", "trimmed/b.whl"))
    }
    stored = tmp_path / STORED_DIR / "a.whl"
    assert compressible(stored) and not compressible(tmp_path / "a.whl")
