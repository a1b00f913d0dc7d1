"""The SAE store: each SAE as safetensors plus a JSON config under the cache, found by name.

Layout: `cache_dir()/sae/<model>/<name>/{config.json, sae.safetensors}` (a `/` in a hub model
name becomes `__`). Writes are atomic: a complete folder is renamed into place.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.errors import choices
from models.loaders import cache_dir
from models.sae.model import SAEConfig, SAEError, SparseAutoencoder

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "sae.safetensors"


def sae_root() -> Path:
    """The folder holding every model's SAEs."""
    return cache_dir() / "sae"


def sae_dir(model: str, name: str) -> Path:
    """Where the SAE `name` of `model` lives."""
    return sae_root() / model.replace("/", "__") / name


def save_sae(sae: SparseAutoencoder) -> Path:
    """Write an SAE (replacing one of the same model and name) and return its folder."""
    target = sae_dir(sae.config.model, sae.config.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    old = target.parent / f".old-{tmp.name}"
    try:
        save_file(sae.tensors(), str(tmp / WEIGHTS_FILE), metadata={"format": "sae"})
        (tmp / CONFIG_FILE).write_text(sae.config.model_dump_json(indent=2))
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return target


def read_config(folder: Path) -> SAEConfig:
    """The config of the SAE stored in `folder`.

    Raises:
        SAEError: no config there, or one that does not parse.
    """
    path = folder / CONFIG_FILE
    try:
        return SAEConfig.model_validate(json.loads(path.read_text()))
    except FileNotFoundError as error:
        raise SAEError(f"no SAE config at {path}") from error
    except (ValueError, ValidationError) as error:
        raise SAEError(f"unreadable SAE config {path}: {error}") from error


def load_sae_from(folder: Path) -> SparseAutoencoder:
    """The SAE stored in `folder` (config and weights).

    Raises:
        SAEError: files missing or damaged, or weights that do not fit the config.
    """
    config = read_config(folder)
    try:
        tensors = load_file(str(folder / WEIGHTS_FILE))
    except (OSError, SafetensorError) as error:
        raise SAEError(f"unreadable SAE weights in {folder}: {error}") from error
    try:
        return SparseAutoencoder(config, tensors)
    except ValueError as error:
        raise SAEError(str(error)) from error


def list_saes(model: str | None = None) -> list[SAEConfig]:
    """The configs of the stored SAEs (of one model, or all), by model then name.

    Damaged entries are left out with a warning naming the folder.
    """
    root = sae_root()
    folders = sorted(root.glob(f"{model.replace('/', '__')}/*" if model else "*/*"))
    found = []
    for folder in folders:
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            found.append(read_config(folder))
        except SAEError as error:
            warnings.warn(f"skipping SAE folder {folder}: {error}", stacklevel=2)
    return found


def load_sae(model: str, name: str) -> SparseAutoencoder:
    """The stored SAE `name` of `model`.

    Raises:
        SAEError: there is none by that name (the error lists those there are), or it is damaged.
    """
    folder = sae_dir(model, name)
    if not (folder / CONFIG_FILE).is_file():
        known = [config.name for config in list_saes(model)]
        raise SAEError(
            f"no SAE {name!r} for model {model!r} in {sae_root()}; "
            f"stored for it: {choices(known) if known else 'none'} "
            f"(`python -m models.sae train {model}` trains one)"
        )
    return load_sae_from(folder)
