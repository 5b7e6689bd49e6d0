"""musicrec: recommend songs that sound like the seed songs you give.

The public API: load or build a model, then ask a Recommender for tracks.

>>> import musicrec
>>> rec = musicrec.open_recommender(data_dir="../shared/data")   # doctest: +SKIP
>>> rec.recommend(["Blinding Lights"], k=5).to_frame()           # doctest: +SKIP
"""

from musicrec.errors import (
    DataFileError,
    DatasetUnavailableError,
    InvalidArgumentError,
    ModelIntegrityError,
    MusicrecError,
    UnknownGenreError,
    UnknownTrackError,
)

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "DataFileError",
    "DatasetUnavailableError",
    "FeatureSpace",
    "Filters",
    "InvalidArgumentError",
    "Model",
    "ModelIntegrityError",
    "MusicrecError",
    "RecommendRequest",
    "Recommendation",
    "Recommender",
    "Seed",
    "UnknownGenreError",
    "UnknownTrackError",
    "build_model",
    "load_model",
    "open_recommender",
    "scan_library",
    "__version__",
]

_LAZY = {
    "Catalog": "musicrec.data.catalog",
    "FeatureSpace": "musicrec.features.space",
    "Filters": "musicrec.recommend.filters",
    "Model": "musicrec.model.store",
    "build_model": "musicrec.model.build",
    "load_model": "musicrec.model.store",
    "RecommendRequest": "musicrec.recommend.request",
    "Recommendation": "musicrec.recommend.results",
    "Recommender": "musicrec.recommend.recommender",
    "Seed": "musicrec.recommend.seeds",
    "open_recommender": "musicrec.workspace.models",
    "scan_library": "musicrec.workspace.libraries",
}


def __getattr__(name: str):  # PEP 562: keep `import musicrec` light
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'musicrec' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
