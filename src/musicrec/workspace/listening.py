"""Listening data by name: importing a file of plays or playlists (matched to a
catalog's tracks) and the users x tracks matrix a collaborative model learns from."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.data.registry import DEFAULT_DATASET, default_cache_dir
from musicrec.errors import InvalidArgumentError
from musicrec.progress import SILENT, Progress
from musicrec.workspace.datasets import dataset_catalog


def listening_matrix(name: str, catalog: Catalog, dataset: str, cache_dir: Path | None,
                     progress: Progress):
    """The imported listening data ``name`` as a matrix over ``catalog``'s tracks (its
    items matched again when they were matched to another dataset)."""
    from musicrec.data.interactions import user_items
    from musicrec.data.interactions.matching import match_to_catalog
    from musicrec.data.interactions.store import read_listens_named

    listens = read_listens_named(cache_dir or default_cache_dir(), name)
    if listens.report.dataset != dataset:
        progress.say(f"Matching the listening data '{name}' to '{dataset}'")
        match_to_catalog(listens, catalog, dataset)
    matrix = user_items(listens, catalog)
    if not matrix.n_pairs:
        raise InvalidArgumentError(
            f"none of the items in the listening data '{name}' is a track of '{dataset}', so "
            "there is nothing to learn from")
    progress.say(f"Listening data '{name}': {matrix.n_pairs:,} (user, track) pairs of "
                 f"{matrix.n_users:,} users or playlists on {len(matrix.warm_rows()):,} "
                 f"tracks of '{dataset}'")
    matrix.source, matrix.name = f"listening data '{name}'", name
    return matrix


def import_listens(
    file: Path,
    name: str,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    dataset: str = DEFAULT_DATASET,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
):
    """Read a listening-data file, match its items to ``dataset``'s tracks and keep it in
    the cache as ``name``; returns the canonical table (with its report)."""
    from musicrec.data.interactions.matching import match_to_catalog
    from musicrec.data.interactions.readers import read_listens
    from musicrec.data.interactions.store import save_listens

    progress = progress or SILENT
    progress.say(f"Reading {Path(file).name}")
    listens = read_listens(Path(file), format, mapping, progress)
    catalog = dataset_catalog(dataset, data_dir=data_dir, cache_dir=cache_dir,
                              progress=progress)
    progress.say(f"Matching {len(listens.items):,} items to the {len(catalog):,} tracks of "
                 f"'{dataset}'")
    match_to_catalog(listens, catalog, dataset)
    save_listens(cache_dir or default_cache_dir(), name, listens)
    return listens
