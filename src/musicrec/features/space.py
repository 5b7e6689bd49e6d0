"""FeatureSpace: the scikit-learn pipeline that turns tracks into unit vectors.

Pipeline: median imputation -> StandardScaler -> per-feature weights -> L2 normalise.
With a style model (:mod:`musicrec.features.style`), its predicted genre, subgenre and
playlist-style blocks follow the audio-feature block. Vectors are float32 with unit
norm, so cosine similarity is one matrix product; their first ``len(features_)``
columns are always the audio features. The fitted pipeline is saved as JSON (no
pickle) and restored into the same estimators; the style model is saved with skops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from musicrec.data.catalog import primary_artist_codes, with_python_lists
from musicrec.data.schema import feature_matrix
from musicrec.data.text import primary_artist
from musicrec.errors import InvalidArgumentError, ModelIntegrityError
from musicrec.features.collaborative import CollaborativeBlock
from musicrec.features.cues import text_cues
from musicrec.features.style import StyleConfig, StyleModel, combine
from musicrec.progress import Progress

if TYPE_CHECKING:
    from musicrec.data.labels import TrackLabels

#: The seed method's numeric columns (Kaggle 1921-2020 notebooks), used where present.
DEFAULT_FEATURES: tuple[str, ...] = (
    "valence", "year", "acousticness", "danceability", "duration_ms", "energy", "explicit",
    "instrumentalness", "key", "liveness", "loudness", "mode", "popularity", "speechiness",
    "tempo",
)


def apply_weights(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Multiply each standardised feature column by its weight."""
    return matrix * weights


def _make_pipeline(weights: np.ndarray):
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("weight", FunctionTransformer(apply_weights, kw_args={"weights": weights})),
        ]
    )


class FeatureSpace:
    """Which features describe a track, with what weights, fitted to a catalog.

    Parameters
    ----------
    features : names of canonical columns; None means :data:`DEFAULT_FEATURES` that the
        catalog has values for.
    weights : optional multiplier per feature after scaling (default 1.0); a larger
        weight makes that feature count more in similarity.
    style : fit a style model too (needs playlist labels); None for audio features only
        (the original method).
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        weights: Mapping[str, float] | None = None,
        style: StyleConfig | None = None,
    ) -> None:
        self.features = list(features) if features is not None else None
        self.weights = dict(weights or {})
        self.style = style
        #: the scaling a transferred style model's inputs were learned in (None: ours)
        self.style_input_: dict[str, Any] | None = None
        #: factors learned from interactions, fused in by ``transform`` (None: content only)
        self.collab_: CollaborativeBlock | None = None

    # -------------------------------------------------------------- fitting
    def fit(
        self,
        tracks: pd.DataFrame,
        labels: TrackLabels | None = None,
        progress: Progress | None = None,
        fit_rows: np.ndarray | None = None,
    ) -> FeatureSpace:
        """Choose the present features and fit imputation and scaling on ``tracks``;
        with a style configuration, fit the style model on ``labels`` as well.

        ``fit_rows`` limits the imputation and scaling to those rows (a training part);
        the style model then learns only from what ``labels`` hold for ``tracks``.
        """
        fitted_on = tracks if fit_rows is None else tracks.iloc[fit_rows]
        if self.features is None:
            chosen = [
                f for f in DEFAULT_FEATURES
                if f in fitted_on.columns and fitted_on[f].notna().any()
            ]
        else:
            unknown = [f for f in self.features if f not in tracks.columns]
            if unknown:
                raise InvalidArgumentError(
                    f"unknown feature{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                    f"known: {', '.join(DEFAULT_FEATURES)}"
                )
            empty = [f for f in self.features if not fitted_on[f].notna().any()]
            if empty:
                raise InvalidArgumentError(f"no track has a value for {', '.join(empty)}")
            chosen = list(dict.fromkeys(self.features))
        if not chosen:
            raise InvalidArgumentError("no feature columns with values to build vectors from")
        bad = [w for w in self.weights if w not in chosen]
        if bad:
            raise InvalidArgumentError(f"weight given for feature(s) not used: {', '.join(bad)}")
        for name, weight in self.weights.items():
            if not np.isfinite(weight) or weight < 0:
                raise InvalidArgumentError(f"weight of {name} must be >= 0 (got {weight})")
        self.features_ = chosen
        self.weights_ = np.array([float(self.weights.get(f, 1.0)) for f in chosen])
        pipeline = _make_pipeline(self.weights_)
        pipeline.fit(feature_matrix(fitted_on, chosen))
        scaler = pipeline.named_steps["scale"]
        self.median_ = pipeline.named_steps["impute"].statistics_
        self.mean_, self.scale_, self.var_ = scaler.mean_, scaler.scale_, scaler.var_
        self.n_samples_seen_ = int(scaler.n_samples_seen_)
        self._pipeline = pipeline
        self._style_model = None
        self._style_path = None
        self.style_input_ = None
        self.collab_ = None
        if self.style is not None:
            if labels is None or not labels.labelled.any():
                raise InvalidArgumentError("the style model needs tracks with playlist genres")
            self._style_model = StyleModel(self.style).fit(
                self.scaled(tracks), text_cues(tracks["name"], tracks["album"]),
                labels.genres, labels.subgenres, labels.playlist_rows, labels.genre_names,
                labels.subgenre_names, progress=progress,
            )
        self.dims_ = self._dims()
        return self

    def with_transferred_style(self, source: FeatureSpace, tracks: pd.DataFrame,
                               origin: str) -> FeatureSpace:
        """This fitted space (audio features only) plus ``source``'s style model, which
        learned from another catalog's playlists: its classifiers read our tracks' values
        scaled as in ``source`` (a feature we lack is imputed with the source's median;
        the share imputed is kept in ``style_input_``). ``origin`` names the source."""
        if source.style is None:
            raise InvalidArgumentError("the source of a transferred style has no style model")
        raw = feature_matrix(tracks, source.features_)
        missing = np.isnan(raw)
        self.style = StyleConfig.from_dict(source.style.to_dict())
        self._style_model = source.style_model_
        self._style_path = None
        self.style_input_ = {
            "origin": origin,
            "features": list(source.features_),
            "weights": source.weights_.tolist(), "median": source.median_.tolist(),
            "mean": source.mean_.tolist(), "scale": source.scale_.tolist(),
            "imputed_share": float(missing.mean()) if missing.size else 0.0,
            "imputed_by_feature": {f: round(float(m), 4) for f, m in
                                   zip(source.features_, missing.mean(axis=0), strict=True)
                                   if m > 0},
        }
        self.dims_ = self._dims()
        return self

    def style_inputs(self, tracks: pd.DataFrame) -> np.ndarray:
        """What the style model reads: our scaled values, or for a transferred style the
        values scaled as in the catalog it learned from (missing: that catalog's median)."""
        given = self.style_input_
        if given is None:
            return self.scaled(tracks)
        raw = feature_matrix(tracks, given["features"])
        median = np.asarray(given["median"], dtype=np.float64)
        raw = np.where(np.isnan(raw), median, raw)
        return apply_weights((raw - np.asarray(given["mean"])) / np.asarray(given["scale"]),
                             np.asarray(given["weights"]))

    def _dims(self) -> int:
        content = self.content_dims_()
        return content if self.collab_ is None else content + self.collab_.dims

    def content_dims_(self) -> int:
        """Dimensions of the content part (audio features and style blocks)."""
        if self.style is None:
            return len(self.features_)
        return len(self.features_) + self.style_model_.dims_

    def with_collaborative(self, block: CollaborativeBlock) -> FeatureSpace:
        """Fuse ``block``'s learned factors into every vector from now on."""
        self.collab_ = block
        self.dims_ = self._dims()
        return self

    @property
    def style_model_(self) -> StyleModel | None:
        """The fitted style model (read from the model directory when first needed)."""
        if self.style is None:
            return None
        if getattr(self, "_style_model", None) is None:
            if getattr(self, "_style_path", None) is None:
                raise ModelIntegrityError("this feature space has no saved style model")
            self._style_model = StyleModel.load(self._style_path)
        return self._style_model

    def attach_style(self, path: Path) -> None:
        """Where the saved style model is; it is loaded on first use."""
        self._style_path = Path(path)
        self._style_model = None

    @property
    def pipeline_(self):
        """The fitted scikit-learn Pipeline (rebuilt from saved values after loading)."""
        if getattr(self, "_pipeline", None) is None:
            self._pipeline = _restore_pipeline(
                self.weights_, self.median_, self.mean_, self.scale_, self.var_
            )
        return self._pipeline

    def transform(self, tracks: pd.DataFrame, context: pd.DataFrame | None = None, *,
                  progress: Progress | None = None, out: np.ndarray | None = None
                  ) -> np.ndarray:
        """Unit-norm float32 vectors (n, dims_) for ``tracks``.

        With a style model, each track's style blocks take in its artist's other tracks
        among ``tracks`` and, for tracks added to a built catalog, among ``context`` (the
        catalog), so an added track is embedded as if it had been in the catalog. Rows
        are written in batches into ``out`` when given (a preallocated, possibly
        memory-mapped (n, dims_) float32 array), which is returned.
        """
        if out is None:
            out = np.empty((len(tracks), self.dims_), dtype=np.float32)
        if out.shape != (len(tracks), self.dims_):
            raise ValueError(f"out has shape {out.shape}, not {(len(tracks), self.dims_)}")
        if self.collab_ is None:
            self._content(tracks, context, progress, out)
            return out
        content = self._content(tracks, context, progress,
                                np.empty((len(tracks), self.content_dims_()), np.float32))
        out[:] = self.collab_.combine(content, tracks["track_id"].astype(str).tolist())
        return out

    def _content(self, tracks: pd.DataFrame, context: pd.DataFrame | None,
                 progress: Progress | None, out: np.ndarray) -> np.ndarray:
        n = len(tracks)
        if self.style is None:
            for part in _batches(n):
                out[part] = normalize_rows(self.scaled(tracks.iloc[part]))
            return out
        if context is not None and len(context):
            keys = {primary_artist(a) for a in tracks["artists"]} - {None}
            same = np.fromiter(
                (primary_artist(a) in keys for a in context["artists"]), bool, len(context))
            if same.any():
                tracks = pd.concat([tracks, with_python_lists(context[same])],
                                   ignore_index=True)
        scaled = self.scaled(tracks)
        cues = text_cues(tracks["name"], tracks["album"])
        artists = primary_artist_codes(tracks["artists"])
        inputs = scaled if self.style_input_ is None else self.style_inputs(tracks)
        blocks = self.style_model_.blocks(inputs, cues, artists, progress)
        del inputs, cues  # a million rows of each: not held while the vectors are written
        for part in _batches(n):
            out[part] = normalize_rows(combine(
                scaled[part], {name: b[part] for name, b in blocks.items()}, self.style))
        return out

    def scaled(self, tracks: pd.DataFrame) -> np.ndarray:
        """Imputed, standardised, weighted values (n, d), before normalising."""
        return self.pipeline_.transform(feature_matrix(tracks, self.features_))

    def fit_transform(
        self,
        tracks: pd.DataFrame,
        labels: TrackLabels | None = None,
        progress: Progress | None = None,
        fit_rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Fit on ``tracks`` (and ``labels``) and return the vectors of all ``tracks``."""
        return self.fit(tracks, labels, progress, fit_rows).transform(tracks)

    # -------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """The fitted state as plain JSON-able data."""
        return {
            "features": self.features_,
            "weights": self.weights_.tolist(),
            "configured_features": self.features,
            "configured_weights": self.weights,
            "impute_median": self.median_.tolist(),
            "scale_mean": self.mean_.tolist(),
            "scale_scale": self.scale_.tolist(),
            "scale_var": self.var_.tolist(),
            "n_samples_seen": self.n_samples_seen_,
            "style": None if self.style is None else self.style.to_dict(),
            "style_input": self.style_input_,
            "collaborative": None if self.collab_ is None else self.collab_.to_dict(),
            "dims": self.dims_,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> FeatureSpace:
        """Restore a fitted FeatureSpace from :meth:`to_dict` output.

        scikit-learn is imported only when the pipeline is first needed (to embed a
        track that is not in the catalog), so loading a model stays fast.
        """
        try:
            features = [str(f) for f in state["features"]]
            arrays = {
                k: np.asarray(state[k], dtype="float64")
                for k in ("weights", "impute_median", "scale_mean", "scale_scale", "scale_var")
            }
            if any(a.shape != (len(features),) for a in arrays.values()):
                raise ValueError("array lengths do not match the feature list")
            if not all(np.isfinite(a).all() for a in arrays.values()):
                raise ValueError("non-finite values")
            style = state.get("style")
            space = cls(
                state.get("configured_features"), state.get("configured_weights"),
                None if style is None else StyleConfig.from_dict(style),
            )
            space.features_ = features
            space.weights_ = arrays["weights"]
            space.median_ = arrays["impute_median"]
            space.mean_, space.scale_ = arrays["scale_mean"], arrays["scale_scale"]
            space.var_ = arrays["scale_var"]
            space.n_samples_seen_ = int(state["n_samples_seen"])
            space.dims_ = int(state.get("dims", len(features)))
            space.style_input_ = _style_input(state.get("style_input"))
            space.collab_ = None
            space.collab_state_ = state.get("collaborative")
            space._pipeline = None
            space._style_model = None
            space._style_path = None
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"the saved feature space is not valid ({exc})") from exc
        return space


def _style_input(given: Any) -> dict[str, Any] | None:
    """A saved transferred-style scaling, checked (same lengths, finite numbers)."""
    if given is None:
        return None
    features = [str(f) for f in given["features"]]
    out = dict(given, features=features)
    for key in ("weights", "median", "mean", "scale"):
        values = np.asarray(given[key], dtype="float64")
        if values.shape != (len(features),) or not np.isfinite(values).all():
            raise ValueError(f"style_input {key} does not fit its features")
        out[key] = values.tolist()
    out["imputed_share"] = float(given.get("imputed_share", 0.0))
    return out


def _restore_pipeline(weights, median, mean, scale, var):
    """A fitted Pipeline equal to the saved one, bit for bit.

    The estimators' public ``fit`` sets them up (data whose median is the saved median,
    two rows with the saved mean and variance); the saved mean, scale and variance are
    then put back exactly, since a last-bit difference can move a value across a split
    of the style model's trees.
    """
    pipeline = _make_pipeline(weights)
    std = np.sqrt(var)
    pipeline.named_steps["impute"].fit(np.vstack([median, median]))
    scaler = pipeline.named_steps["scale"].fit(np.vstack([mean - std, mean + std]))
    scaler.mean_, scaler.scale_, scaler.var_ = mean.copy(), scale.copy(), var.copy()
    pipeline.named_steps["weight"].fit(np.zeros((1, len(weights))))
    return pipeline


def _batches(n: int, size: int = 65_536):
    """Consecutive row slices covering ``n`` rows."""
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype="float64")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype("float32")
