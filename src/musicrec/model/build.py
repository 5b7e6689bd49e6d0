"""Building a model: fit the kind's feature space, make the vectors, the index and the
clusters, then hand them to the store. Evaluation builds through here too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.data.labels import TrackLabels
from musicrec.index import build_index
from musicrec.index.registry import backend
from musicrec.io import scratch_file
from musicrec.model.clusters import GENRE_CLUSTERS, model_clusters, song_cluster_count
from musicrec.model.kinds import DEFAULT_KIND, get_kind
from musicrec.model.store import Model, load_model, source_fingerprint, write_model
from musicrec.progress import SILENT, Progress
from musicrec.threads import fixed_thread_count, limited_threads, usable_cores

if TYPE_CHECKING:  # scipy.sparse is not imported by a command that only recommends
    from musicrec.data.interactions import UserItems


def build_model(
    catalog: Catalog,
    directory: str | Path,
    kind: str = DEFAULT_KIND,
    *,
    features: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    labels: TrackLabels | None = None,
    fit_rows: np.ndarray | None = None,
    index: str | None = None,
    transfer: Callable[[], Model] | None = None,
    interactions: UserItems | None = None,
    dataset: str = "custom",
    sources: Sequence[Path] = (),
    embed: Callable[[Catalog, object, np.ndarray], None] | None = None,
    progress: Progress | None = None,
) -> Model:
    """Fit a model of ``kind`` on ``catalog`` and write it to ``directory`` (atomically).

    ``features`` and ``weights`` configure the audio-feature block; ``fit_rows`` and
    ``labels`` restrict what is learned from (a training part, for evaluation); ``index``
    names the index backend (default: by catalog size); ``transfer`` gives the model a
    learned kind borrows from when ``catalog`` has no labels (see the style kind).
    ``embed(catalog, space, out)`` fills the vectors in catalog order instead of the space's own
    transform here (musicrec.spark embeds every partition on executors).
    """
    progress = progress or SILENT
    if index is not None:
        backend(index)  # an unknown name is refused before any work
    with limited_threads() as threads:  # one per free core: no spinning on busy ones
        if threads < usable_cores() and fixed_thread_count() is None:
            progress.say(f"Other programs keep cores busy: building with {threads} "
                         f"thread{'s' if threads > 1 else ''}")
        # listening data goes only to kinds given some (a kind written before it existed
        # need not take it)
        extra = {} if interactions is None else {"interactions": interactions}
        space = get_kind(kind).fit(catalog, features=features, weights=weights,
                                   labels=labels, fit_rows=fit_rows, transfer=transfer,
                                   progress=progress, **extra)
        with scratch_file(directory, ".npy") as scratch:
            # written in batches into a file that becomes the model's vectors.npy (column
            # major, as the exact index reads it); memory holds a batch, not all of them
            vectors = np.lib.format.open_memmap(scratch, mode="w+", dtype=np.float32,
                                                shape=(len(catalog), space.dims_),
                                                fortran_order=True)
            progress.say(f"Embedding {len(catalog):,} tracks")
            if embed is None:
                space.transform(catalog.tracks, progress=progress, out=vectors)
            else:
                embed(catalog, space, vectors)
            built_index = build_index(vectors, index, progress)
            songs = song_cluster_count(len(catalog))  # as model_clusters fits
            progress.say(f"Clustering songs ({songs}) and genres (up to {GENRE_CLUSTERS})")
            clusters = model_clusters(catalog, space.features_, progress=progress)
            write_model(
                directory, catalog, space, vectors, built_index, clusters, kind=kind,
                dataset=dataset, sources=[source_fingerprint(p) for p in sources],
            )
            del built_index, vectors  # freed before the model is read back (memory peak)
    return load_model(directory)
