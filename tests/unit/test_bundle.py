"""The runtime's modules, bundled (buildtools/bundle.py): one module per entry, with the
archives' hashes defined, and only Pyodide's modules left to import."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from buildtools.bundle import ARCHIVES_NAME, ENTRIES, bundle_runtime
from buildtools.common import BuildError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "web/src/runtime"
ESBUILD = ROOT / "web/node_modules/.bin/esbuild"
MANIFEST = {"a.whl": {"deflated": {"path": "a.whl", "sha256": "0" * 64}}}

needs_esbuild = pytest.mark.skipif(not ESBUILD.exists(), reason="run python3 build.py (npm ci)")


@needs_esbuild
def test_each_entry_is_one_module_with_the_archives_defined(tmp_path: Path) -> None:
    bundles = bundle_runtime(SOURCE, tmp_path, ESBUILD, MANIFEST, "9.9.9")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(ENTRIES)
    worker = bundles[1].read_text()
    assert f'sha256: "{"0" * 64}"' in worker  # the archives' hashes, defined
    for bundle in bundles:
        text = bundle.read_text()
        assert text.startswith("/*! adtracker 9.9.9 runtime")
        local = re.findall(r"""(?:from|import\()\s*["'](\./[^"']+)["']""", text)
        assert set(local) <= {"./pyodide.mjs", "./pyodide.asm.mjs"}, local
        subprocess.run(["node", "--check", "--input-type=module"], input=text, text=True,
                       check=True)  # fmt: skip


@needs_esbuild
def test_an_entry_that_keeps_the_placeholder_fails_the_build(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "boot.mjs").write_text("export const x = 1;\n")
    (source / "snapshot-worker.mjs").write_text(f'export const y = "{ARCHIVES_NAME}";\n')
    (source / "overlay.mjs").write_text("export const z = 1;\n")
    with pytest.raises(BuildError, match=ARCHIVES_NAME):
        bundle_runtime(source, tmp_path / "out", ESBUILD, MANIFEST, "0.0.0")


def test_every_runtime_source_keeps_to_300_lines() -> None:
    long = {p.name: n for p in SOURCE.glob("*.mjs") if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}
