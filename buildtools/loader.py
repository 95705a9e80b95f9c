"""The loader, assembled: ``web/src/tracker.js`` with its parts inlined and Python's
vocabulary filled in.

The loader is one classic script (a storefront adds one tag; nothing else can run before
Python), kept as files of one job: each ``/* __ADTRACKER_PART__ name.js */`` line of
``tracker.js`` becomes ``web/src/name.js``, indented to the enclosing function. Parts
declare functions only; ``tracker.js`` calls them.

What the loader observes by (the ad attributes, the view ratio, the pre-boot queue's key
and bounds) is Python's: ``__ADTRACKER_VOCABULARY__`` becomes a JSON object of the
constants in ``VOCABULARY``, read from the core's modules. Those modules import nothing
but the standard library, so they are loaded by path here (build.py runs before the
package's dependencies exist, and importing ``adtracker`` would start pydantic).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

from buildtools.common import BuildError

PART = re.compile(r"^(?P<indent>[ ]*)/\* __ADTRACKER_PART__ (?P<name>[\w-]+\.js) \*/$", re.M)
VOCABULARY_PLACEHOLDER = "__ADTRACKER_VOCABULARY__"
#: The loader's name for each value -> (module under adtracker/, its constant).
VOCABULARY: dict[str, tuple[str, str]] = {
    "key": ("base/keys.py", "PREBOOT"),
    "clickAttr": ("browser/markup.py", "CLICK_ATTR"),
    "clickSelector": ("browser/markup.py", "CLICK_SELECTOR"),
    "impressionAttr": ("browser/markup.py", "IMPRESSION_ATTR"),
    "viewAttr": ("browser/markup.py", "VIEW_ATTR"),
    "watchedSelector": ("browser/markup.py", "WATCHED_SELECTOR"),
    "viewRatio": ("events/visibility.py", "VIEW_RATIO"),
    "recheckSeconds": ("events/visibility.py", "PAINT_RECHECK_SECONDS"),
    "maxClicks": ("base/limits.py", "MAX_PREBOOT_CLICKS"),
    "maxAds": ("base/limits.py", "MAX_PREBOOT_ADS"),
    "maxChanges": ("base/limits.py", "MAX_PREBOOT_CHANGES"),
    "maxChars": ("base/limits.py", "MAX_PREBOOT_CHARS"),
    "writeSeconds": ("base/limits.py", "PREBOOT_WRITE_SECONDS"),
    # The loader's own pre-boot click (click.js): where, how, under which keys and rules.
    "defaultOrigins": ("base/beacon.py", "DEFAULT_BEACON_ORIGINS"),
    "requestInit": ("base/beacon.py", "REQUEST_INIT"),
    "requestHeaders": ("base/beacon.py", "REQUEST_HEADERS"),
    "requestTimeout": ("base/limits.py", "DEFAULT_REQUEST_TIMEOUT_SECONDS"),
    "leaseMargin": ("base/limits.py", "LEASE_MARGIN_SECONDS"),
    "clickWindow": ("base/limits.py", "CLICK_WINDOW_SECONDS"),
    "sessionTtlDays": ("base/limits.py", "DEFAULT_SESSION_TTL_DAYS"),
    "daySeconds": ("base/limits.py", "DAY_SECONDS"),
    "clockSkew": ("base/limits.py", "MAX_CLOCK_SKEW_SECONDS"),
    "maxUrlChars": ("base/limits.py", "MAX_URL_CHARS"),
    "maxIdLength": ("base/limits.py", "MAX_ID_LENGTH"),
    "maxOwnIdLength": ("base/limits.py", "MAX_OWN_ID_LENGTH"),
    "idsKey": ("base/keys.py", "IDS"),
    "dedupPrefix": ("base/keys.py", "DEDUP_PREFIX"),
    "dedupDigestChars": ("base/keys.py", "DEDUP_DIGEST_CHARS"),
    "outboxPrefix": ("base/keys.py", "OUTBOX_PREFIX"),
}


def _module(package: Path, relative: str) -> ModuleType:
    path = package / relative
    spec = importlib.util.spec_from_file_location(f"_adtracker_vocabulary.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BuildError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def vocabulary(package: Path) -> dict[str, object]:
    """The values ``VOCABULARY`` names, read from the package at ``package``."""
    modules: dict[str, ModuleType] = {}
    out: dict[str, object] = {}
    for name, (relative, constant) in VOCABULARY.items():
        module = modules.get(relative) or modules.setdefault(relative, _module(package, relative))
        if not hasattr(module, constant):
            raise BuildError(f"adtracker/{relative} defines no {constant} (the loader needs it)")
        out[name] = getattr(module, constant)
    return out


def inline_parts(source: Path) -> str:
    """``source`` (tracker.js) with each part line replaced by that part, indented."""
    text = source.read_text(encoding="utf-8")

    def part(found: re.Match[str]) -> str:
        path = source.parent / found["name"]
        if not path.exists():
            raise BuildError(f"{source.name} inlines {found['name']}, which is missing")
        indent = found["indent"]
        lines = path.read_text(encoding="utf-8").rstrip("\n").splitlines()
        return "\n".join(indent + line if line else "" for line in lines)

    return PART.sub(part, text)


def assemble(source: Path, package: Path) -> str:
    """The loader as shipped, but for the runtime folder and version placeholders."""
    text = inline_parts(source)
    if VOCABULARY_PLACEHOLDER not in text:
        raise BuildError(f"{source.name} lost its {VOCABULARY_PLACEHOLDER} placeholder")
    words = json.dumps(vocabulary(package), sort_keys=True, separators=(",", ":"))
    return text.replace(VOCABULARY_PLACEHOLDER, words)
