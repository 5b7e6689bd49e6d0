"""The workspace: what the front ends call to get at data and models by name.

It joins the dataset registry, importers, model kinds, the model store and the Spotify
lookup, so that the CLI, the REST service and the Python API call one function rather
than repeating the steps. One module per concern:

- :mod:`~musicrec.workspace.datasets`: datasets by name (read, list, where models live)
- :mod:`~musicrec.workspace.models`: build, build-if-stale, open a Recommender, clusters
- :mod:`~musicrec.workspace.imports`: a user's track table as a dataset and its model
- :mod:`~musicrec.workspace.listening`: listening data (import, the matrix to learn from)
- :mod:`~musicrec.workspace.libraries`: libraries scanned from audio files
- :mod:`~musicrec.workspace.descriptions`: what a model holds, for ``musicrec info``

The names below are re-exported for the Python API; front ends import from the module
named for what they do.
"""

from musicrec.workspace.datasets import (
    dataset_catalog,
    default_kind,
    list_datasets,
    model_dir,
    profile_tables,
    read_dataset,
    unknown_dataset,
)
from musicrec.workspace.descriptions import describe_model
from musicrec.workspace.imports import import_file
from musicrec.workspace.libraries import (
    LIBRARY,
    analysis_cache_path,
    library_duplicates,
    library_seed_tracks,
    recommend_from_library,
    scan_library,
    scanned_libraries,
)
from musicrec.workspace.listening import import_listens, listening_matrix
from musicrec.workspace.models import (
    build_dataset_model,
    ensure_model,
    open_recommender,
    refit_clusters,
    transfer_source,
)

__all__ = [
    "LIBRARY", "analysis_cache_path", "build_dataset_model", "dataset_catalog",
    "default_kind", "describe_model", "ensure_model", "import_file", "import_listens",
    "library_duplicates", "library_seed_tracks", "list_datasets", "listening_matrix",
    "model_dir", "open_recommender", "profile_tables", "read_dataset",
    "recommend_from_library", "refit_clusters", "scan_library", "scanned_libraries",
    "transfer_source", "unknown_dataset",
]
