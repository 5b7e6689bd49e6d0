"""Importing a track table of the user's as a dataset with its model, both or neither:
the dataset and the model are staged together and swapped in at once, so an interrupt
(Ctrl-C, SIGTERM) anywhere leaves the previous ones as they were."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from musicrec.data.catalog import Catalog
from musicrec.data.importers.common import ImportResult
from musicrec.data.importers.report import ImportReport
from musicrec.data.registry import DATASETS, default_cache_dir
from musicrec.errors import InvalidArgumentError
from musicrec.index.registry import backend
from musicrec.model.build import build_model
from musicrec.model.kinds import DEFAULT_KIND
from musicrec.model.store import Model, load_model
from musicrec.progress import SILENT, Progress
from musicrec.workspace.datasets import model_dir
from musicrec.workspace.models import transfer_source


def import_file(
    path: str | Path,
    mapping: Mapping[str, str],
    name: str,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    kind: str = DEFAULT_KIND,
    strict: bool = False,
    on_duplicate: str = "first",
    units: Mapping[str, str] | None = None,
    style_from: Path | None = None,
    index: str | None = None,
    progress: Progress | None = None,
) -> tuple[Model, ImportReport]:
    """Import any CSV/Parquet (through ``mapping``) as dataset ``name`` in the cache and
    build its model of ``kind``; returns the model and what the import counted.

    A table without playlists borrows the learned style of the default dataset's model,
    or of the model directory ``style_from``."""
    from musicrec.data.importers.mapped import read_mapped
    from musicrec.model.store import source_fingerprint

    progress = progress or SILENT
    if name in DATASETS:
        raise InvalidArgumentError(f"'{name}' is a built-in dataset name; choose another --name")
    target = model_dir(name, cache_dir, kind)
    if index is not None:
        backend(index)  # an unknown index is refused before the file is read
    source = load_model(style_from) if style_from is not None else None  # before any work
    progress.say(f"Reading {path}")
    result = read_mapped(path, dict(mapping), source=name, strict=strict,
                         on_duplicate=on_duplicate, units=dict(units or {}),
                         progress=progress)
    if len(result.tracks) < 2:
        from musicrec.errors import DataFileError

        summary = "; ".join(line.strip() for line in result.report.summary()[2:])
        raise DataFileError(path, f"only {len(result.tracks)} usable track(s) in the file "
                            f"({summary or 'nothing else to report'}); a catalog needs at "
                            "least 2")
    if source is not None:
        def transfer():
            return source
    else:
        def transfer():
            return transfer_source(data_dir, cache_dir, progress)
    model = save_with_model(
        cache_dir, name, result, dict(mapping), source_fingerprint(Path(path)), target, kind,
        f"Fitting features and writing model '{name}' ({len(result.tracks):,} tracks)",
        progress=progress, features=features, transfer=transfer, index=index)
    return model, result.report


def save_with_model(cache_dir: Path | None, name: str, result: ImportResult,
                    mapping: dict[str, str], source: dict[str, Any], target: Path, kind: str,
                    building: str, *, extra: dict[str, Any] | None = None,
                    progress: Progress = SILENT, **build: Any) -> Model:
    """Keep ``result`` as dataset ``name`` and build its model of ``kind`` at ``target``,
    both staged and swapped in together: a failure or an interrupt at any point leaves
    the previous dataset and model (or none) as they were. ``building`` is said before
    the model is built; ``build`` goes to :func:`~musicrec.model.build.build_model`."""
    from musicrec.data.imported import TRACKS, imported_dir, write_imported
    from musicrec.io import staged_directories

    cache = cache_dir or default_cache_dir()
    with staged_directories(imported_dir(cache, name), target) as (dataset, model):
        write_imported(dataset, name, result, mapping, source, extra)
        progress.say(building)
        build_model(Catalog.from_import(result), model, kind, dataset=name,
                    sources=[dataset / TRACKS], progress=progress, **build)
    return load_model(target)
