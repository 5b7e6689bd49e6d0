"""Models of datasets: build one, use the cached one unless its sources changed (then
rebuild), open a Recommender over it, and refit its clusters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from musicrec.data.catalog import Catalog
from musicrec.data.registry import DATASETS, DEFAULT_DATASET, default_cache_dir
from musicrec.errors import InvalidArgumentError, OutdatedModelError
from musicrec.index.registry import backend
from musicrec.model.build import build_model
from musicrec.model.kinds import DEFAULT_KIND, get_kind
from musicrec.model.store import Model, load_model, read_manifest, sources_match
from musicrec.progress import SILENT, Progress
from musicrec.recommend.recommender import Recommender
from musicrec.spotify.settings import SpotifySettings
from musicrec.workspace.datasets import (
    current_sources,
    default_kind,
    model_dir,
    read_dataset,
    unknown_dataset,
)
from musicrec.workspace.listening import listening_matrix


def build_dataset_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    kind: str | None = None,
    listens: str | None = None,
    index: str | None = None,
    embed: Callable | None = None,
    interactions_from: Callable | None = None,
    progress: Progress | None = None,
) -> Model:
    """Build the model of a registered or imported dataset into the cache; a
    collaborative kind learns from the imported listening data ``listens`` (default: the
    dataset's own playlists), or from ``interactions_from(catalog)`` (listening data
    kept elsewhere: :mod:`musicrec.spark.listens`). ``embed`` makes the vectors
    elsewhere (see :func:`~musicrec.model.build.build_model`)."""
    progress = progress or SILENT
    kind = kind or default_kind(dataset, cache_dir)
    target = model_dir(dataset, cache_dir, kind)
    if index is not None:
        backend(index)  # an unknown index is refused before the data is read
    result = read_dataset(dataset, data_dir, cache_dir, progress)
    catalog = Catalog.from_import(result)
    interactions = None
    if listens is not None or interactions_from is not None:
        if not getattr(get_kind(kind), "collaborative", False):
            raise InvalidArgumentError(
                f"the '{kind}' model does not learn from listening data; --listens (and "
                "--listens-table on Spark) is for the hybrid, als and lightfm models "
                "(--model hybrid)")
        interactions = (interactions_from(catalog) if interactions_from is not None else
                        listening_matrix(listens, catalog, dataset, cache_dir, progress))
    progress.say(f"Fitting features and writing the model ({len(result.tracks):,} tracks)")
    return build_model(
        catalog, target, kind, features=features, weights=weights,
        dataset=dataset, sources=result.sources, progress=progress,
        transfer=lambda: transfer_source(data_dir, cache_dir, progress),
        interactions=interactions, index=index, embed=embed,
    )


def transfer_source(data_dir: Path | None, cache_dir: Path | None, progress: Progress):
    """The default dataset's style model, whose classifiers describe catalogs that have no
    playlist labels of their own (built once, kept in the cache)."""
    return ensure_model(DEFAULT_DATASET, data_dir=data_dir, cache_dir=cache_dir,
                        kind=DEFAULT_KIND, progress=progress)


def ensure_model(
    dataset: str = DEFAULT_DATASET,
    *,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    kind: str | None = None,
    progress: Progress | None = None,
) -> Model:
    """The dataset's model, built on first use or when its source files changed.

    Registered datasets are read from their files, imported ones from the cache; a
    model whose source is gone is used as it is, with a note.
    """
    from musicrec.data.imported import find_imported

    progress = progress or SILENT
    kind = kind or default_kind(dataset, cache_dir)
    directory = model_dir(dataset, cache_dir, kind)
    options = {"data_dir": data_dir, "cache_dir": cache_dir, "kind": kind, "progress": progress}
    known = dataset in DATASETS or find_imported(cache_dir or default_cache_dir(),
                                                 dataset) is not None
    if not directory.exists():
        if not known:
            raise unknown_dataset(dataset, cache_dir)
        progress.say(f"No '{kind}' model for '{dataset}' yet: building it (once)")
        return build_dataset_model(dataset, **options)
    try:
        manifest = read_manifest(directory)
    except OutdatedModelError:
        if not known:
            raise
        progress.say(f"The model for '{dataset}' is from another musicrec version: rebuilding it")
        return build_dataset_model(dataset, **options)
    if known:
        current = current_sources(dataset, data_dir, cache_dir, progress)
        if current is None:
            progress.say(f"The data for '{dataset}' is not available (no source file where "
                         f"it was looked for): using the model built from it on "
                         f"{manifest.get('created', '?')}")
            return load_model(directory)
        if not sources_match(manifest, current):
            progress.say(f"The data for '{dataset}' changed: rebuilding the model")
            old = load_model(directory, verify=False).space  # keep the configured features
            listens = (old.collab_.details.get("listens") if old.collab_ is not None
                       else None)  # and the listening data it learned from
            return build_dataset_model(dataset, features=old.features, weights=old.weights,
                                       listens=listens, **options)
    return load_model(directory)


def open_recommender(
    dataset: str = DEFAULT_DATASET,
    *,
    model_path: str | Path | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    kind: str | None = None,
    progress: Progress | None = None,
    spotify: SpotifySettings | None = None,
    features_file: str | Path | None = None,
) -> Recommender:
    """A Recommender over a model directory, or over a dataset's (built on first use).

    ``kind`` picks how the dataset's vectors are made (see :mod:`musicrec.model.kinds`).
    With ``spotify`` settings, tracks added before (the user's table in the cache) are
    seeds too, and a Spotify track outside the catalog is looked up and described by the
    feature providers (Spotify, ReccoBeats, ``features_file``).
    """
    if model_path is not None:
        model = load_model(model_path)
    else:
        model = ensure_model(
            dataset,
            data_dir=Path(data_dir) if data_dir is not None else None,
            cache_dir=Path(cache_dir) if cache_dir is not None else None,
            kind=kind,
            progress=progress,
        )
    if spotify is None:
        return Recommender(model)
    from musicrec.data.user_tracks import USER_TRACKS, UserTracks
    from musicrec.spotify.lookup import TrackLookup

    table = UserTracks(Path(cache_dir or default_cache_dir()) / USER_TRACKS)
    lookup = TrackLookup(spotify, table, Path(features_file) if features_file else None)
    return Recommender(model, extra=table.frame, lookup=lookup)


def refit_clusters(
    model: Model, k: int | None, seed: int = 0, progress: Progress | None = None
) -> tuple[Model, dict[int, float]]:
    """Refit the model's song clusters with ``k`` clusters (None: the best silhouette over
    5-30) and swap them into the model directory; returns the model and, when k was
    chosen, the silhouette of every k tried."""
    from musicrec.data.schema import feature_matrix
    from musicrec.model.clusters import choose_k, fit_clusters
    from musicrec.model.store import replace_clusters

    progress = progress or SILENT
    saved = model.clusters
    raw = feature_matrix(model.catalog.tracks, saved.songs.features)
    scores: dict[int, float] = {}
    if k is None:
        progress.say("Choosing k by silhouette over 5-30")
        songs, scores = choose_k(raw, saved.songs.features, range(5, 31), seed, progress)
    else:
        progress.say(f"Fitting {k} song clusters")
        songs = fit_clusters(raw, saved.songs.features, k, seed)
    saved.songs = songs
    return replace_clusters(model.path, saved), scores
