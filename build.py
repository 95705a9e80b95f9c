#!/usr/bin/env python3
"""One entry point for the project: ``build`` (default), ``serve``, ``test``, ``bench``.

    python3 build.py            build web/dist/
    python3 build.py serve      build, then serve the demo storefront + a local collector
    python3 build.py test       build, then lint and run every test (unit + browser)
    python3 build.py bench      build, then measure the tracker's cost in Chromium

The entry point uses only the standard library. Its first step creates ``.venv``
with the project's dev dependencies (pyproject.toml) and re-runs itself there;
everything after that may use them. Downloads (npm, wheels) are cached, so a
second build needs no network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CACHE = ROOT / ".cache"
WEB = ROOT / "web"
DIST = WEB / "dist"
WHEEL_CACHE = CACHE / "wheels"
PYODIDE_REQUIREMENTS = WEB / "pyodide-requirements.txt"
# Files of the npm package `pyodide` that the dist needs (the rest is docs/types/console).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
# The PyScript runtime (npm `@pyscript/core`): its dist/ folder, without source maps.
PYSCRIPT_PACKAGE = "@pyscript/core"
PYSCRIPT_DEMO = WEB / "pyscript-demo"
# Replaced, in the copied PyScript demo's text files, by the tracker wheel's file name.
WHEEL_PLACEHOLDER = "__TRACKER_WHEEL__"
CHROMIUM = Path("/usr/bin/chromium")


class BuildError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"build.py: error: {message}")


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        raise BuildError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# --- step 0: the virtual environment ------------------------------------------------------


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    stamp = VENV / ".adtracker-deps"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        log(f"creating {VENV.relative_to(ROOT)} …")
        run([sys.executable, "-m", "venv", str(VENV)])
    if not stamp.exists() or stamp.read_text().strip() != want:
        log("installing the dev dependencies from pyproject.toml …")
        run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-e",
                ".[dev]",
            ],
            cwd=ROOT,
        )
        stamp.write_text(want)
    return python


# --- step 1: npm assets (the Pyodide and PyScript runtimes) ----------------------------------


def pinned_version(name: str) -> str:
    deps = json.loads((WEB / "package.json").read_text())["dependencies"]
    version = deps.get(name, "")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise BuildError(
            f'web/package.json must pin {name} to one exact version (found "{version}")'
        )
    return version


def pinned_pyodide_version() -> str:
    return pinned_version("pyodide")


def check_installed(modules: Path, name: str) -> Path:
    """The package folder under node_modules, whose version must equal the pin."""
    package = modules / name
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
    lock = WEB / "package-lock.json"
    modules = WEB / "node_modules"
    stamp = modules / ".adtracker-lock"
    want = sha256_file(lock)
    if not stamp.exists() or stamp.read_text().strip() != want:
        if shutil.which("npm") is None:
            apt_install("npm", "npm is needed to fetch the Pyodide and PyScript runtimes")
        log("npm ci (pyodide, @pyscript/core; integrity-checked by web/package-lock.json) …")
        run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=WEB)
        stamp.write_text(want)
    return check_installed(modules, "pyodide"), check_installed(modules, PYSCRIPT_PACKAGE)


# --- step 2: wheels for Pyodide ----------------------------------------------------------------


def read_requirements() -> list[tuple[str, str, str]]:
    """(name, version, sha256) for each line of web/pyodide-requirements.txt."""
    out = []
    for line in PYODIDE_REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})", line)
        if not m:
            raise BuildError(
                f"{PYODIDE_REQUIREMENTS.name}: write `name==version --hash=sha256:…`, got {line!r}"
            )
        out.append((m[1], m[2], m[3]))
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def cached_wheel(name: str, version: str) -> Path | None:
    for path in WHEEL_CACHE.glob("*.whl"):
        parts = path.name.split("-")
        if _norm(parts[0]) == _norm(name) and parts[1] == version:
            return path
    return None


def ensure_wheels(abi: str, python: str) -> list[Path]:
    reqs = read_requirements()
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    if any(cached_wheel(n, v) is None for n, v, _ in reqs):
        major, minor = python.split(".")[:2]
        log(f"downloading {len(reqs)} wheels for Pyodide (cp{major}{minor}, pyemscripten_{abi}) …")
        run(
            [
                sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                "--no-deps", "--require-hashes", "--only-binary=:all:",
                "--python-version", f"{major}.{minor}", "--implementation", "cp",
                "--abi", f"cp{major}{minor}", "--platform", f"pyemscripten_{abi}_wasm32",
                "-d", str(WHEEL_CACHE), "-r", str(PYODIDE_REQUIREMENTS),
            ]
        )  # fmt: skip
    wheels = []
    for name, version, digest in reqs:
        path = cached_wheel(name, version)
        if path is None:
            raise BuildError(
                f"{name}=={version} was not downloaded; check {PYODIDE_REQUIREMENTS.name}"
            )
        actual = sha256_file(path)
        if actual != digest:
            raise BuildError(
                f"{path.name} has sha256 {actual}, but {PYODIDE_REQUIREMENTS.name} pins {digest}: "
                f"delete .cache/wheels/{path.name} to fetch it again, or update the pin if the "
                "release really changed"
            )
        wheels.append(path)
    return wheels


def check_pydantic_pin() -> None:
    """The CPython tests must exercise the same pydantic the browser runs."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    host = re.search(r'"pydantic==([^"]+)"', pyproject)
    shipped = next((v for n, v, _ in read_requirements() if _norm(n) == "pydantic"), None)
    if host is None or shipped is None or host[1] != shipped:
        raise BuildError(
            f"pyproject.toml pins pydantic=={host[1] if host else '?'} but "
            f"{PYODIDE_REQUIREMENTS.name} ships {shipped}: make them equal"
        )


def build_tracker_wheel() -> Path:
    out = CACHE / "tracker-wheel"
    shutil.rmtree(out, ignore_errors=True)
    run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "-w", str(out), str(ROOT)]
    )  # fmt: skip
    wheels = list(out.glob("tracker-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one tracker wheel in {out}, found {wheels}")
    return wheels[0]


# --- step 3: the lock file --------------------------------------------------------------------


def check_wheel_abi(wheel: Path, abi: str, python: str, arch: str) -> None:
    """pyodide-lock 0.1.2 knows only the old `emscripten_X_Y_Z` platform tags, so binary
    wheels with the newer `pyemscripten_<abi>` tag are checked here, against the ABI
    that the installed Pyodide declares in its own lock file."""
    from packaging.utils import parse_wheel_filename

    _, _, _, tags = parse_wheel_filename(wheel.name)
    major, minor = python.split(".")[:2]
    want = (f"cp{major}{minor}", f"cp{major}{minor}", f"pyemscripten_{abi}_{arch}")
    if any(t.platform == "any" for t in tags):
        return
    if not any((t.interpreter, t.abi, t.platform) == want for t in tags):
        raise BuildError(
            f"{wheel.name} does not match this Pyodide, which needs {'-'.join(want)}: pin a "
            f"release that publishes that wheel in {PYODIDE_REQUIREMENTS.name} (find one with "
            "`pip download "
            f"--only-binary=:all: --python-version {major}.{minor} --implementation cp --abi "
            f"cp{major}{minor} --platform {want[2]} <name>`), or change the pyodide pin in "
            "web/package.json to a release with that ABI"
        )


def write_lock(dist: Path, upstream_lock: Path, version: str, wheels: list[Path]) -> None:
    """pyodide-lock.json for the dist: only our wheels, with hashes and dependencies,
    so the loader asks for "tracker" and Pyodide fetches the rest in parallel."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.spec import InfoSpec
    from pyodide_lock.utils import add_wheels_to_spec, package_spec_from_wheel

    info_raw = json.loads(upstream_lock.read_text())["info"]
    info = InfoSpec(**{**info_raw, "version": version})
    spec = PyodideLockSpec(info=info, packages={})
    pure = [w for w in wheels if w.name.endswith("-none-any.whl")]
    binary = [w for w in wheels if w not in pure]
    for wheel in binary:
        check_wheel_abi(wheel, info.abi_version or "", info.python, info.arch)
        # Lie to the pyodide-lock 0.1.2 compatibility check only about the platform
        # spelling; the real check is check_wheel_abi above.
        legacy = info.model_copy(update={"platform": f"pyemscripten_{info.abi_version}"})
        pkg = package_spec_from_wheel(wheel, legacy)
        pkg.file_name = wheel.name
        spec.packages[pkg.name] = pkg
    spec = add_wheels_to_spec(spec, pure, base_path=dist)
    for pkg in spec.packages.values():
        for dep in pkg.depends:
            if dep not in spec.packages:
                raise BuildError(
                    f"{pkg.name} depends on {dep}, which is not in {PYODIDE_REQUIREMENTS.name}"
                )
    spec.to_json(dist / "pyodide-lock.json", indent=1)


# --- step 4: PyScript runtime and demo ----------------------------------------------------------


def copy_pyscript(package: Path, dest: Path) -> None:
    """PyScript's browser runtime (core.js, core.css and their lazy chunks), no source maps."""
    source = package / "dist"
    if not (source / "core.js").is_file():
        raise BuildError(f"{source} has no core.js: is {PYSCRIPT_PACKAGE} installed?")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.map"))


def copy_pyscript_demo(dest: Path, wheel_name: str, runtime: str) -> None:
    """The PyScript storefront, with the runtime folder and wheel file names filled in."""
    shutil.copytree(PYSCRIPT_DEMO, dest)
    for path in dest.rglob("*"):
        if path.suffix in (".html", ".json", ".toml", ".py") and path.is_file():
            text = path.read_text(encoding="utf-8")
            filled = text.replace(WHEEL_PLACEHOLDER, wheel_name).replace(
                RUNTIME_PLACEHOLDER, runtime + "/"
            )
            if filled != text:
                path.write_text(filled, encoding="utf-8")


INDEX_HTML = """<!doctype html><meta charset="utf-8"><title>adtracker dist</title>
<p>adtracker dist.</p>
<ul>
<li>Demo storefront (tracker.js): <a href="demo/">demo/</a></li>
<li>PyScript storefront (<code>from tracker.browser import start</code>):
<a href="pyscript-demo/">pyscript-demo/</a></li>
</ul>
"""


# --- build ------------------------------------------------------------------------------------


def precompile_wheels(wheels: list[Path], pyodide_dir: Path) -> None:
    """Replace each wheel's .py files by CPython 3.14 bytecode, compiled by Pyodide itself
    under Node (web/tools/precompile.mjs), so browsers skip compiling pydantic & co. at
    every page load. Cached by content; micropip (not loaded at start) is left as is."""
    store = CACHE / "precompiled"
    store.mkdir(parents=True, exist_ok=True)
    todo: list[str] = []
    for wheel in wheels:
        cached = store / f"{sha256_file(wheel)}.whl"
        if not cached.exists():
            todo += [str(wheel), str(cached)]
    if todo:
        if shutil.which("node") is None:
            raise BuildError("Node.js is needed to precompile the wheels (apt-get install nodejs)")
        log(f"precompiling {len(todo) // 2} wheel(s) to Python 3.14 bytecode with Pyodide …")
        run(["node", str(WEB / "tools" / "precompile.mjs"), str(pyodide_dir) + "/", *todo])
    for wheel in wheels:
        shutil.copyfile(store / f"{sha256_file(wheel)}.whl", wheel)


def rehash_lock(folder: Path) -> None:
    """The lock's sha256 of each wheel, after precompile_wheels changed the files."""
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import update_package_sha256

    lock = folder / "pyodide-lock.json"
    spec = PyodideLockSpec.from_json(lock)
    for pkg in spec.packages.values():
        update_package_sha256(pkg, folder / pkg.file_name)
    spec.to_json(lock, indent=1)


RUNTIME_PLACEHOLDER = "__ADTRACKER_RUNTIME__"
# Worth precompressing (wheels and the stdlib zip are already deflated).
COMPRESSIBLE = (".wasm", ".mjs", ".js", ".json")


def runtime_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        h.update(path.name.encode() + b"\0" + bytes.fromhex(sha256_file(path)))
    return h.hexdigest()[:12]


def precompress(folder: Path) -> None:
    """Write .gz (and .br, with the brotli package) beside each compressible file.
    Results are cached by content, so only changed files are compressed again."""
    import gzip

    try:
        import brotli
    except ImportError:  # optional: gzip alone still cuts the wasm by 60 %
        brotli = None
    store = CACHE / "precompressed"
    store.mkdir(parents=True, exist_ok=True)
    for path in list(folder.rglob("*")):
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        digest = sha256_file(path)
        compressors = {".gz": lambda b: gzip.compress(b, 9, mtime=0)}
        if brotli is not None:
            compressors[".br"] = lambda b: brotli.compress(b, quality=11)
        for suffix, compress in compressors.items():
            cached = store / (digest + suffix)
            if not cached.exists():
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(compress(path.read_bytes()))
                tmp.rename(cached)
            shutil.copyfile(cached, path.with_name(path.name + suffix))


def build() -> Path:
    t0 = time.monotonic()
    check_pydantic_pin()
    package, pyscript = ensure_npm_assets()
    upstream_lock = package / "pyodide-lock.json"
    info = json.loads(upstream_lock.read_text())["info"]
    abi, python = info["abi_version"], info["python"]
    wheels = ensure_wheels(abi, python)
    tracker_wheel = build_tracker_wheel()

    staging = WEB / ".dist-staging"
    shutil.rmtree(staging, ignore_errors=True)
    # Everything but the loader lives in a folder named by its content hash, so it can be
    # cached forever ("immutable"); only tracker.js is revalidated.
    pending = staging / "runtime"
    pending.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(package / name, pending / name)
    # The boot modules (page side and snapshot Worker) ship inside the hashed folder:
    # same origin as Pyodide, cached forever, and their content is part of the hash.
    for module in sorted((WEB / "src" / "runtime").glob("*.mjs")):
        shutil.copy2(module, pending / module.name)
    staged = [Path(shutil.copy2(w, pending / w.name)) for w in [*wheels, tracker_wheel]]
    write_lock(pending, upstream_lock, pinned_pyodide_version(), staged)
    precompile_wheels(
        [w for w in staged if not w.name.startswith(("micropip-", "tracker-"))], package
    )
    rehash_lock(pending)
    runtime = f"r-{runtime_hash(list(pending.iterdir()))}"
    pending.rename(staging / runtime)
    loader = (WEB / "src" / "tracker.js").read_text(encoding="utf-8")
    if RUNTIME_PLACEHOLDER not in loader:
        raise BuildError(f"web/src/tracker.js lost its {RUNTIME_PLACEHOLDER} placeholder")
    (staging / "tracker.js").write_text(loader.replace(RUNTIME_PLACEHOLDER, runtime + "/"))
    shutil.copy2(WEB / "src" / "tracker.d.ts", staging / "tracker.d.ts")
    copy_pyscript(pyscript, staging / "pyscript")
    if (WEB / "demo").is_dir():
        shutil.copytree(WEB / "demo", staging / "demo")
    if PYSCRIPT_DEMO.is_dir():
        copy_pyscript_demo(staging / "pyscript-demo", tracker_wheel.name, runtime)
    (staging / "index.html").write_text(INDEX_HTML)
    (staging / "RUNTIME").write_text(runtime + "\n")  # for hosts that template the path
    precompress(staging)
    shutil.rmtree(DIST, ignore_errors=True)
    staging.rename(DIST)
    size = sum(p.stat().st_size for p in DIST.rglob("*") if p.is_file())
    log(f"built {DIST.relative_to(ROOT)}/ ({size / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")
    return DIST


# --- serve ------------------------------------------------------------------------------------


def serve(port: int, collector_port: int) -> None:
    build()
    sys.path.insert(0, str(ROOT))
    from devserver import Collector, StaticServer

    collector = Collector(port=collector_port, verbose=True).start()
    site = StaticServer(
        DIST, port=port, substitutions={"__COLLECTOR_ORIGIN__": collector.origin}
    ).start()
    print(
        f"\n  Demo storefront:  {site.url('/demo/')}\n"
        f"  PyScript demo:    {site.url('/pyscript-demo/')}\n"
        f"  Local collector:  {collector.origin}  (events at {collector.url('/_events')})\n"
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


def apt_install(package: str, why: str) -> None:
    """Install a Debian package when we can (root with apt-get), else say what is missing."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        raise BuildError(f"{why}: install the {package!r} package")
    log(f"installing Debian's {package} …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", package], env=env)


def ensure_chromium() -> None:
    """Debian's chromium when possible (a test tool's own browser download fails on the
    project's machines); Playwright's own browser elsewhere."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        apt_install("chromium", "the browser tests need Chromium")
        return
    log("no system Chromium: installing Playwright's own …")
    run([sys.executable, "-m", "playwright", "install", "chromium"])


def test(pytest_args: list[str]) -> int:
    build()
    ensure_chromium()
    log("ruff check + format check …")
    run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)
    run([sys.executable, "-m", "ruff", "format", "--check", "."], cwd=ROOT)
    log("pytest …")
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - the message is the point on old Pythons
        raise BuildError(f"Python 3.11+ is needed (this is {sys.version.split()[0]})")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("build", help="build web/dist/ (the default)")
    p_serve = sub.add_parser(
        "serve", help="build, then serve the demo storefront and a local collector"
    )
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--collector-port", type=int, default=8001)
    sub.add_parser("test", help="build, lint, then run all tests; extra args go to pytest")
    p_bench = sub.add_parser("bench", help="build, then measure the tracker's cost in Chromium")
    p_bench.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    p_bench.add_argument("--clicks", type=int, default=200, help="clicks for the handler cost")
    p_bench.add_argument("--storage-clicks", type=int, default=10_000)
    p_bench.add_argument("--only", choices=["boot", "clicks", "storage"], help="one part only")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    if not in_venv():
        python = ensure_venv()
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])

    if args.command == "serve":
        serve(args.port, args.collector_port)
        return 0
    if args.command == "test":
        return test(extra)
    if args.command == "bench":
        build()
        ensure_chromium()
        sys.path.insert(0, str(ROOT))
        from bench.run import run as run_bench

        run_bench(
            DIST,
            runs=args.runs,
            clicks=args.clicks,
            storage_clicks=args.storage_clicks,
            only=args.only,
        )
        return 0
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
