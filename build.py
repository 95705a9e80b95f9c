#!/usr/bin/env python3
"""One entry point for the project: ``build`` (default), ``serve``, ``test``, ``bench``.

    python3 build.py            build web/dist/
    python3 build.py serve      build, then serve the demo storefront + a local collector + docs
    python3 build.py test       build, then lint, build the docs strictly, run every test
    python3 build.py bench      build, then measure the tracker's cost in Chromium

The entry point uses only the standard library. Its first step creates ``.venv``
with the project's dev dependencies (pyproject.toml) and re-runs itself there;
everything after that may use them. Downloads (npm, wheels) are cached, so a
second build needs no network. What it needs from Debian (npm, Chromium) it installs
with apt-get when it runs as root, and otherwise names.

The build is a straight pipeline, in the order of ``build()``: check the pins, npm ci,
download the wheels, build the tracker wheel, stage the runtime (copy, precompile to
bytecode, write the lock file, name the folder by its hash), add the loader, PyScript and
demos, precompress, swap the staging folder in as ``web/dist/``. The longer steps live in
``buildtools/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from buildtools import docs
from buildtools.common import BuildError, log, project_version, run, sha256_file
from buildtools.machine import (
    BUILD_PACKAGES,
    ensure_browsers,
    ensure_debian_packages,
    ensure_venv,
    in_venv,
)

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "adtracker"  # the Python package (the loader reads its vocabulary)
CACHE = ROOT / ".cache"
WHEEL_CACHE = CACHE / "wheels"  # downloaded wheels, as published
PRECOMPILED_CACHE = CACHE / "precompiled"  # the same wheels as bytecode, by content hash
PRECOMPRESSED_CACHE = CACHE / "precompressed"  # .br/.gz of dist files, by content hash
WEB = ROOT / "web"
DIST = WEB / "dist"  # what users deploy: the loader, its types, the runtime, PyScript
DEMO_DIST = WEB / "demo-dist"  # the demo storefronts, served with DIST by `serve`
STAGING = WEB / ".dist-staging"  # built here, then renamed to DIST; never left behind
PACKAGE_JSON = WEB / "package.json"
PACKAGE_LOCK = WEB / "package-lock.json"
NODE_MODULES = WEB / "node_modules"
PYODIDE_REQUIREMENTS = WEB / "pyodide-requirements.txt"
PRECOMPILE_SCRIPT = WEB / "tools" / "precompile.mjs"
# The import trace (buildtools/trim.py) drives the core on the unit tests' fakes.
TRACE_SCRIPT = WEB / "tools" / "trace_imports.mjs"
TRACE_FAKES = ROOT / "tests" / "unit" / "fakes.py"
TRACE_ORDER = ROOT / "tests" / "data" / "vtex-order-placed.json"
RUNTIME_MODULES = WEB / "src" / "runtime"  # boot.mjs and the snapshot Worker, and their parts
ESBUILD = NODE_MODULES / ".bin" / "esbuild"  # bundles them (buildtools/bundle.py)
LOADER = WEB / "src" / "tracker.js"
TYPES = WEB / "src" / "tracker.d.ts"
DEMO = WEB / "demo"
DEMO_INDEX = WEB / "demo-index.html"  # the demo-dist root: links to both demos
PYSCRIPT_DEMO = WEB / "pyscript-demo"
MKDOCS_CONFIG = ROOT / "mkdocs.yml"  # the documentation site, from docs/
DOCS_SITE = WEB / "docs-site"  # where it is built (git-ignored); `serve` mounts it at /docs/

PYODIDE_PACKAGE = "pyodide"
# Files of the npm package `pyodide` that the dist needs (the rest is docs/types/console).
STDLIB = "python_stdlib.zip"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", STDLIB)
# The PyScript runtime (npm `@pyscript/core`): its dist/ folder, without source maps.
PYSCRIPT_PACKAGE = "@pyscript/core"
# Not precompiled: micropip is not loaded at start; the tracker's own wheel measured slower
# clicks as bytecode (README, Performance).
KEEP_SOURCE = ("micropip-", "adtracker-")
# In web/src/tracker.js and the PyScript demo: the runtime folder `r-<hash>/`.
RUNTIME_PLACEHOLDER = "__ADTRACKER_RUNTIME__"
# In web/src/tracker.js: the project's version (buildtools.common.project_version).
VERSION_PLACEHOLDER = "__ADTRACKER_VERSION__"
# In the PyScript demo's text files: the tracker wheel's file name.
WHEEL_PLACEHOLDER = "__TRACKER_WHEEL__"

# bench/run.py's PARTS (build.py parses its arguments before .venv exists, so it cannot
# import them; tests/unit/test_bench_report.py pins the two together).
BENCH_PARTS = (
    "boot", "network", "hosts", "clicks", "storage", "lighthouse", "phone", "engines", "soak"
)  # fmt: skip

# --- step 1: npm assets (the Pyodide and PyScript runtimes) ----------------------------------


def pinned_version(name: str) -> str:
    version = json.loads(PACKAGE_JSON.read_text())["dependencies"].get(name, "")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise BuildError(
            f'web/package.json must pin {name} to one exact version (found "{version}")'
        )
    return version


def installed_package(name: str) -> Path:
    """The package folder under node_modules, whose version must equal the pin."""
    package = NODE_MODULES / name
    manifest = package / "package.json"
    installed = json.loads(manifest.read_text())["version"] if manifest.exists() else "nothing"
    pinned = pinned_version(name)
    if installed != pinned:
        raise BuildError(
            f"web/node_modules has {name} {installed} but web/package.json pins {pinned}: "
            "run `npm install` in web/ to update package-lock.json, or fix the pin"
        )
    return package


def ensure_npm_assets() -> tuple[Path, Path]:
    """(pyodide, @pyscript/core) package folders, installed exactly as the lock says."""
    # Node also runs the precompile step, so it is checked even when node_modules is current.
    ensure_debian_packages(BUILD_PACKAGES, "the build needs Node.js and npm")
    stamp = NODE_MODULES / ".adtracker-lock"
    want = sha256_file(PACKAGE_LOCK)
    if not stamp.exists() or stamp.read_text().strip() != want:
        log("npm ci (pyodide, @pyscript/core; integrity-checked by web/package-lock.json) …")
        run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=WEB)
        stamp.write_text(want)
    return installed_package(PYODIDE_PACKAGE), installed_package(PYSCRIPT_PACKAGE)


# --- build ------------------------------------------------------------------------------------


def build() -> Path:
    # They need the venv's packages.
    from buildtools import archives, assets, bundle, lockfile, pyodide_patch, trim, wheels
    from buildtools import loader as loader_parts

    t0 = time.monotonic()
    wheels.check_pydantic_pin(PYPROJECT, PYODIDE_REQUIREMENTS)
    pyodide, pyscript = ensure_npm_assets()
    upstream_lock = pyodide / "pyodide-lock.json"
    info = json.loads(upstream_lock.read_text())["info"]
    dependencies = wheels.ensure_wheels(
        PYODIDE_REQUIREMENTS, WHEEL_CACHE, info["abi_version"], info["python"]
    )
    tracker_wheel = wheels.build_tracker_wheel(ROOT, CACHE / "adtracker-wheel")

    shutil.rmtree(STAGING, ignore_errors=True)
    try:
        # Everything but the loader lives in a folder named by its content hash, so it can
        # be cached forever ("immutable"); only tracker.js is revalidated.
        pending = STAGING / "runtime"
        pending.mkdir(parents=True)
        for name in PYODIDE_FILES:
            shutil.copy2(pyodide / name, pending / name)
        for patched_file in ("pyodide.mjs", "pyodide.asm.mjs"):  # why: buildtools/pyodide_patch.py
            pyodide_patch.patch_file(pending / patched_file)
        sources = [*dependencies, tracker_wheel]
        staged = [(w, Path(shutil.copy2(w, pending / w.name))) for w in sources]
        wheels.precompile_wheels(
            [s for w, s in staged if not w.name.startswith(KEEP_SOURCE)],
            pyodide,
            PRECOMPILE_SCRIPT,
            PRECOMPILED_CACHE,
        )
        lockfile.write_lock(
            pending,
            upstream_lock,
            pinned_version(PYODIDE_PACKAGE),
            staged,
            PYODIDE_REQUIREMENTS.name,
        )
        # What the snapshot Worker fetches (never micropip: not booted): the wheels, pydantic
        # and the standard library trimmed to what the tracker imports, each also stored.
        boot_wheels = [s for _, s in staged if not s.name.startswith("micropip-")]
        imported = trim.trace(TRACE_SCRIPT, pyodide, TRACE_FAKES, TRACE_ORDER, boot_wheels)
        deflated = trim.write_trimmed(pending, boot_wheels, STDLIB, imported)
        manifest = archives.write_stored_variants(pending, deflated)
        # The boot modules (page side and snapshot Worker), bundled, ship inside the hashed
        # folder: same origin as Pyodide, cached forever, their content part of the hash.
        bundle.bundle_runtime(RUNTIME_MODULES, pending, ESBUILD, manifest, project_version())
        runtime = f"r-{assets.runtime_hash(pending)}"
        pending.rename(STAGING / runtime)

        # Its parts inlined and Python's vocabulary filled in (buildtools/loader.py).
        loader = loader_parts.assemble(LOADER, PACKAGE)
        for placeholder in (RUNTIME_PLACEHOLDER, VERSION_PLACEHOLDER):
            if placeholder not in loader:
                raise BuildError(f"web/src/tracker.js lost its {placeholder} placeholder")
        loader = loader.replace(RUNTIME_PLACEHOLDER, runtime + "/")
        (STAGING / "tracker.js").write_text(loader.replace(VERSION_PLACEHOLDER, project_version()))
        shutil.copy2(TYPES, STAGING / "tracker.d.ts")
        assets.copy_pyscript(pyscript, STAGING / "pyscript")
        (STAGING / "RUNTIME").write_text(runtime + "\n")  # for hosts that template the path
        assets.precompress(STAGING, PRECOMPRESSED_CACHE)

        shutil.rmtree(DIST, ignore_errors=True)
        STAGING.rename(DIST)
    finally:
        shutil.rmtree(STAGING, ignore_errors=True)
    size = sum(p.stat().st_size for p in DIST.rglob("*") if p.is_file())
    log(f"built {DIST.relative_to(ROOT)}/ ({size / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")
    build_demos(runtime, tracker_wheel.name)
    return DIST


def build_demos(runtime: str, wheel_name: str) -> None:
    """web/demo-dist/: the demo storefronts, kept out of the dist that users copy to their
    host (their pages hold a __COLLECTOR_ORIGIN__ placeholder that `serve` fills in). Their
    relative links (`../tracker.js`, `../pyscript/`) expect it served at the dist's root."""
    from buildtools import assets

    shutil.rmtree(DEMO_DIST, ignore_errors=True)
    DEMO_DIST.mkdir()
    shutil.copytree(DEMO, DEMO_DIST / "demo")
    assets.copy_filled(
        PYSCRIPT_DEMO,
        DEMO_DIST / "pyscript-demo",
        {WHEEL_PLACEHOLDER: wheel_name, RUNTIME_PLACEHOLDER: runtime + "/"},
    )
    shutil.copy2(DEMO_INDEX, DEMO_DIST / "index.html")


# --- serve ------------------------------------------------------------------------------------


def serve(port: int, collector_port: int, production: bool) -> None:
    from devserver import Collector, StaticServer

    build()
    docs.build_site(MKDOCS_CONFIG, DOCS_SITE)
    collector = Collector(port=collector_port, verbose=True).start()
    site = StaticServer(
        DIST,
        port=port,
        substitutions={"__COLLECTOR_ORIGIN__": collector.origin},
        cache="production" if production else "dev",
    )
    site.add_dir("/", DEMO_DIST)  # beside the dist, as their relative links expect
    site.add_dir("/docs/", DOCS_SITE, substitute=False)  # its pages quote the placeholders
    site.start()
    caching = (
        "production caching: immutable runtime, ETag, precompressed br/gzip"
        if production
        else "dev caching: no-cache, uncompressed; --production for the CDN rules"
    )
    print(
        f"\n  Demo storefront:  {site.url('/demo/')}\n"
        f"  PyScript demo:    {site.url('/pyscript-demo/')}\n"
        f"  Local collector:  {collector.origin}  (events at {collector.url('/_events')})\n"
        f"  Documentation:    {site.url('/docs/')}\n"
        f"  Served with {caching}.\n"
        "  Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
        collector.stop()


# --- test -------------------------------------------------------------------------------------


def test(pytest_args: list[str]) -> int:
    build()
    ensure_browsers()
    log("ruff check + format check, lint-imports (the core's layers) …")
    run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
    run([sys.executable, "-m", "ruff", "format", "--check", "."], cwd=ROOT)
    run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT)
    docs.build_site(MKDOCS_CONFIG, DOCS_SITE)
    log("pytest …")
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def bench(args: argparse.Namespace) -> None:
    from bench.run import run as run_bench

    build()
    ensure_browsers()
    run_bench(
        DIST, runs=args.runs, clicks=args.clicks, storage_clicks=args.storage_clicks, only=args.only
    )


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - the message is the point on old Pythons
        raise BuildError(f"Python 3.11+ is needed (this is {sys.version.split()[0]})")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("build", help="build web/dist/ (the default)")
    p_serve = sub.add_parser(
        "serve", help="build, then serve the demo storefront, a local collector and the docs"
    )
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--collector-port", type=int, default=8001)
    p_serve.add_argument(
        "--production",
        action="store_true",
        help="serve with the production caching rules (immutable hashed runtime, ETag, "
        "precompressed br/gzip) instead of no-cache",
    )
    sub.add_parser("test", help="build, lint, build the docs, run all tests; args go to pytest")
    p_bench = sub.add_parser("bench", help="build, then measure the tracker's cost in Chromium")
    p_bench.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    p_bench.add_argument("--clicks", type=int, default=200, help="clicks for the handler cost")
    p_bench.add_argument("--storage-clicks", type=int, default=10_000)
    p_bench.add_argument(
        "--only", choices=BENCH_PARTS, help="one part only (its results go to its own file)"
    )
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    if not in_venv(VENV):
        python = ensure_venv(ROOT, VENV)
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])

    if args.command == "serve":
        serve(args.port, args.collector_port, args.production)
    elif args.command == "test":
        return test(extra)
    elif args.command == "bench":
        bench(args)
    else:
        build()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
