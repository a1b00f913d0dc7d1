"""The natural photo collection: labelled photos from installed packages, listed cheaply and
decoded one at a time as RGB PIL images.

Labels say what a photo shows in plain lower-case words, taken from the package's own caption
(Tux Paint, stdlib) or file name (GCompris, scikit-image, scikit-learn).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image

from models.errors import StimulusError
from models.natural.rcc import RccEntry, RccError, list_entries, read_entry
from models.natural.sources import PHOTO_SOURCES

_RASTER = (".png", ".jpg", ".jpeg", ".webp")
_ARTICLES = frozenset({"a", "an", "the"})
_LEADING = re.compile(r"^(?:(?:a|an|the|some|another|our|image|photo|picture)\s+(?:of\s+)?)+")
#: Tux Paint folders that hold drawings, letters or symbols rather than photos.
_TUXPAINT_SKIP = ("symbols/alphabets", "symbols/math", "symbols/shapes", "symbols/music",
                  "symbols/chess", "symbols/faces")
#: GCompris activity folders whose images are photos, with the category each one shows.
GCOMPRIS_FOLDERS: dict[str, str] = {
    "categorization/resource/images/fishes": "fish",
    "categorization/resource/images/monuments": "monument",
    "categorization/resource/images/others": "household object",
    "categorization/resource/images/renewable": "renewable energy",
    "categorization/resource/images/tools": "tool",
    "erase/resource": "animal",
    "explore_farm_animals/resource/animals": "farm animal",
    "explore_world_animals/resource/animals": "wild animal",
    "explore_monuments/resource": "monument",
    "solar_system/resource": "solar system",
}
#: What each scikit-image and scikit-learn sample photo shows.
SAMPLE_LABELS: dict[str, str] = {
    "astronaut": "astronaut", "chelsea": "cat", "coffee": "coffee cup", "rocket": "rocket",
    "camera": "cameraman", "coins": "coins", "moon": "moon surface", "page": "printed page",
    "text": "text", "clock": "clock", "china": "temple", "flower": "flower",
}


@dataclass(frozen=True)
class Photo:
    """One labelled photo.

    Attributes:
        id: stable id, `<source>:<path within the source>`.
        source: the source name (see `sources.PHOTO_SOURCES`).
        label: what it shows, plain lower-case words ("bald eagle").
        category: a coarser group ("birds", "monument", "sample photo").
        caption: the package's own caption where it has one, else "".
        location: where the bytes are: a file, or a resource file and the entry in it.
    """

    id: str
    source: str
    label: str
    category: str
    caption: str
    location: tuple


def normalise_label(text: str) -> str:
    """Plain lower-case words: camelCase split, digits, punctuation and leading articles gone."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"(?<=[a-z]{4})(of|de|du|des)(?=[A-Z])", r" \1 ", text)  # "statueofLiberty"
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = re.sub(r"[_\-—–/]+", " ", text).lower()
    text = re.sub(r"[^a-z' ]+", " ", text)
    text = " ".join(w.strip("'") for w in text.split() if w.strip("'"))
    text = _LEADING.sub("", text)
    return " ".join(w for w in text.split() if w not in _ARTICLES)


def caption_label(caption: str, fallback: str, max_words: int = 4) -> str:
    """A label from a caption's first clause, or the fallback when that is long or empty."""
    first = re.split(r"(?<=[.!?])\s|[,:;—]", caption.strip(), maxsplit=1)[0]
    label = normalise_label(first)
    return label if label and len(label.split()) <= max_words else normalise_label(fallback)


def _tuxpaint(root: Path) -> list[Photo]:
    photos = []
    for path in sorted(root.rglob("*.png")):
        relative = path.relative_to(root).with_suffix("").as_posix()
        if ("cartoon" in relative.split("/") or relative.startswith(_TUXPAINT_SKIP)
                or relative.endswith("_mirror")):
            continue
        caption_file = path.with_suffix(".txt")
        caption = ""
        if caption_file.is_file():
            lines = caption_file.read_text(encoding="utf-8", errors="replace").splitlines()
            caption = lines[0].strip() if lines else ""
        label = caption_label(caption, re.sub(r"\d+", " ", path.stem))
        category = normalise_label(path.parent.name) or "stamp"
        photos.append(Photo(f"tuxpaint:{relative}", "tuxpaint", label, category, caption,
                            ("file", str(path))))
    return photos


def _gcompris(folder: Path) -> list[Photo]:
    photos = []
    for rcc in sorted(folder.glob("*.rcc")):
        if not any(f.startswith(rcc.stem + "/") for f in GCOMPRIS_FOLDERS):
            continue
        try:
            entries = list_entries(rcc)
        except (RccError, OSError, ValueError):
            continue
        for entry in entries:
            inner = entry.path.split("/activities/", 1)[-1]
            parent, _, name = inner.rpartition("/")
            category = next((c for f, c in GCOMPRIS_FOLDERS.items()
                             if parent == f or parent.startswith(f + "/")), None)
            if category is None or not name.lower().endswith(_RASTER):
                continue
            stem = name.rsplit(".", 1)[0]
            label = normalise_label(re.sub(r"\d+", " ", stem))
            if label:
                photos.append(Photo(f"gcompris:{parent.replace('/resource', '')}/{stem}",
                                    "gcompris", label, category, "",
                                    ("rcc", str(rcc), entry.offset, entry.flags, entry.path)))
    return photos


def _skimage(_: Path) -> list[Photo]:
    from models.stimuli.photos import PHOTO_NAMES

    return [Photo(f"skimage:{name}", "skimage", SAMPLE_LABELS[name], "sample photo", "",
                  ("skimage", name)) for name in PHOTO_NAMES]


def _stdlib(root: Path) -> list[Photo]:
    photos = []
    for package in sorted(root.glob("datasets-img-*")):
        image = package / "data" / "image.jpg"
        if not image.is_file():
            continue
        try:
            caption = json.loads((package / "package.json").read_text())["description"]
        except (OSError, ValueError, KeyError):
            caption = ""
        name = package.name.removeprefix("datasets-img-")
        label = caption_label(caption, name, max_words=8)
        photos.append(Photo(f"stdlib-img:{name}", "stdlib-img", label, "historical photo",
                            caption, ("file", str(image))))
    return photos


def _sklearn(folder: Path) -> list[Photo]:
    images = folder / "datasets" / "images"
    return [Photo(f"sklearn:{name}", "sklearn", SAMPLE_LABELS[name], "sample photo", "",
                  ("file", str(images / f"{name}.jpg")))
            for name in ("china", "flower") if (images / f"{name}.jpg").is_file()]


_LISTERS = {"tuxpaint": _tuxpaint, "gcompris": _gcompris, "skimage": _skimage,
            "stdlib-img": _stdlib, "sklearn": _sklearn}


@lru_cache(maxsize=1)
def natural_photos() -> tuple[Photo, ...]:
    """Every photo of every installed photo source, in a fixed order (nothing decoded yet).

    Raises:
        StimulusError: no photo source is installed.
    """
    photos: list[Photo] = []
    for source in PHOTO_SOURCES:
        location = source.location()
        if location is not None:
            photos.extend(_LISTERS[source.name](location))
    if not photos:
        raise StimulusError("no natural photo source is installed; install: "
                            + "; ".join(s.install for s in PHOTO_SOURCES))
    return tuple(photos)


#: Photos narrower than this on either side are padded onto a white square (models refuse
#: images under 8 pixels; a 39x7 stamp is still a picture of something).
MIN_SIDE = 32


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white (Tux Paint stamps are cut out)."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def load_photo(photo: Photo) -> Image.Image:
    """Decode one photo as an RGB PIL image (its id in `info["id"]`, label in `info["label"]`).

    Raises:
        StimulusError: the photo's file is gone or unreadable.
    """
    kind = photo.location[0]
    try:
        if kind == "file":
            with Image.open(photo.location[1]) as handle:
                image = _flatten(handle)
        elif kind == "rcc":
            _, rcc, offset, flags, path = photo.location
            data = read_entry(Path(rcc), RccEntry(path, offset, flags))
            with Image.open(io.BytesIO(data)) as handle:
                image = _flatten(handle)
        else:
            from models.stimuli.photos import natural_photos as sample_photos

            image = sample_photos()[photo.location[1]]
    except (OSError, RccError, KeyError, ValueError) as error:
        raise StimulusError(f"cannot read photo {photo.id!r}: {error}") from error
    if min(image.size) < MIN_SIDE:  # a thin clip-art stamp: centred on a white square
        side = max(MIN_SIDE, *image.size)
        canvas = Image.new("RGB", (side, side), (255, 255, 255))
        canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
        image = canvas
    image.info.update({"id": photo.id, "label": photo.label, "source": photo.source})
    return image
