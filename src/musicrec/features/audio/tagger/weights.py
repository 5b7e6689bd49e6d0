"""The tagger's weights: fetched once from the pinned musicnn wheel, kept in the cache.

``install`` gets ``musicnn==0.1.0`` with pip (``pip download --no-deps``: nothing of its
TensorFlow 1 stack is installed), checks the wheel's sha256, reads the ``MSD_musicnn``
checkpoint out of it with :mod:`.checkpoint` (every block CRC-checked) and writes the
model variables as a plain ``.npz`` (no pickle) with a JSON manifest holding its sha256.
After that the tagger works offline; :func:`load_tagger` checks the file against the
manifest before using it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicrec.errors import DataFileError, InvalidArgumentError, MusicrecError
from musicrec.io import atomic_write, sha256_file
from musicrec.progress import SILENT, Progress

#: The pinned source of the weights (ISC licence, Pons & Serra 2019)
PACKAGE = "musicnn==0.1.0"
WHEEL_NAME = "musicnn-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
WHEEL_MB = 29
#: The checkpoint inside the wheel (a bundle with an empty name in its folder)
CHECKPOINT = "musicnn/MSD_musicnn/"
MODEL = "MSD_musicnn"
#: Bumped when what the weights file holds changes
FORMAT_VERSION = 1


class TaggerMissingError(MusicrecError):
    """The tagger's weights are not installed (or not intact)."""


@dataclass(frozen=True)
class TaggerFiles:
    """Where an installed tagger lives in the cache."""

    folder: Path

    @property
    def weights(self) -> Path:
        return self.folder / "msd_musicnn.npz"

    @property
    def manifest(self) -> Path:
        return self.folder / "msd_musicnn.json"


def tagger_files(cache_dir: Path) -> TaggerFiles:
    return TaggerFiles(Path(cache_dir) / "tagger")


def installed(cache_dir: Path) -> dict | None:
    """The manifest of the installed tagger, or None."""
    files = tagger_files(cache_dir)
    try:
        manifest = json.loads(files.manifest.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT_VERSION or not files.weights.exists():
        return None
    return manifest


def install(cache_dir: Path, *, wheel: Path | None = None,
            progress: Progress | None = None) -> dict:
    """Fetch (or take ``wheel``), check and convert the weights; returns the manifest."""
    progress = progress or SILENT
    files = tagger_files(cache_dir)
    with tempfile.TemporaryDirectory(prefix="musicrec-tagger-") as scratch:
        if wheel is None:
            progress.say(f"Fetching {PACKAGE} with pip ({WHEEL_MB} MB, its files only)")
            wheel = _pip_download(Path(scratch))
        wheel = Path(wheel).expanduser()
        if not wheel.is_file():
            raise InvalidArgumentError(f"{wheel} is not a file")
        digest = sha256_file(wheel)
        if digest != WHEEL_SHA256:
            raise DataFileError(wheel, f"is not the pinned {PACKAGE} wheel (sha256 {digest}, "
                                f"expected {WHEEL_SHA256})")
        progress.say("Reading the MSD_musicnn checkpoint (CRC-checked)")
        weights = _weights_from_wheel(wheel, Path(scratch))
    from musicrec.features.audio.tagger.network import Musicnn

    Musicnn(weights)  # every variable the network reads is there
    files.folder.mkdir(parents=True, exist_ok=True)
    atomic_write(files.weights, lambda partial: _save_npz(partial, weights))
    manifest = {"format": FORMAT_VERSION, "model": MODEL, "source": PACKAGE,
                "wheel_sha256": WHEEL_SHA256, "sha256": sha256_file(files.weights),
                "licence": "ISC (musicnn, Pons & Serra 2019)",
                "variables": len(weights),
                "parameters": int(sum(v.size for v in weights.values()))}
    atomic_write(files.manifest, json.dumps(manifest, indent=2) + "\n")
    return manifest


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as handle:  # a path would get ".npz" appended by NumPy
        np.savez(handle, **arrays)


def _pip_download(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps",
               "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise TaggerMissingError(f"pip could not be run ({exc})") from exc
    found = folder / WHEEL_NAME
    if done.returncode != 0 or not found.exists():
        lines = [line for line in (done.stderr or done.stdout).splitlines()
                 if line.strip() and not line.startswith("WARNING")]
        raise TaggerMissingError(
            f"pip could not fetch {PACKAGE}"
            + (f" ({lines[-1].strip()})" if lines else "")
            + "; on a machine without the package index, download the wheel elsewhere "
            f"(pip download {PACKAGE} --no-deps) and pass it: musicrec library tagger "
            "install --wheel FILE")
    return found


def _weights_from_wheel(wheel: Path, scratch: Path) -> dict[str, np.ndarray]:
    from musicrec.features.audio.tagger.checkpoint import read_checkpoint

    folder = scratch / "checkpoint"
    folder.mkdir()
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member in (".index", ".data-00000-of-00001"):
                (folder / member).write_bytes(archive.read(CHECKPOINT + member))
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataFileError(wheel, f"holds no readable {MODEL} checkpoint ({exc})") from exc
    return read_checkpoint(folder)


_LOADED: dict[str, object] = {}


def load_tagger(cache_dir: Path):
    """The installed network (checked against its manifest; kept once per process)."""
    from musicrec.features.audio.tagger.network import Musicnn

    files = tagger_files(cache_dir)
    key = str(files.weights)
    if key in _LOADED:
        return _LOADED[key]
    manifest = installed(cache_dir)
    if manifest is None:
        raise TaggerMissingError("the tagger is not installed (run: musicrec library tagger "
                                 "install)")
    if sha256_file(files.weights) != manifest.get("sha256"):
        raise TaggerMissingError(f"{files.weights} does not match its manifest (damaged?); "
                                 "run musicrec library tagger install again")
    with np.load(files.weights, allow_pickle=False) as stored:
        network = Musicnn({name: stored[name] for name in stored.files})
    _LOADED[key] = network
    return network
