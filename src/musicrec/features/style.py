"""The style model: what genre, subgenre and kind of playlist a track's features suggest.

Audio features alone place a track only roughly (cosine on standardised features finds
the same playlist genre for about four in ten neighbours). Classifiers trained on the
playlists' labels learn which combinations of features mark a style; their predicted
probabilities, appended to the features, make neighbours share style far more often.
Everything is predicted from the track's own data (audio features, year, popularity,
and text cues of its title and album, see :mod:`musicrec.features.cues`), so a song
that is in no playlist yet is embedded like any other.

Blocks (each scaled to unit length, then weighted):

- ``genre``: HistGradientBoosting probabilities of the playlist genres;
- ``subgenre``: the same for subgenres;
- ``playlist``: an MLP's probabilities of the training playlists, reduced by PCA of
  their square roots (Hellinger geometry) to a few dimensions.

**Artist context.** One track's prediction is noisy; its artist's other tracks usually
share its style. Each style block is blended with the mean of that block over the
tracks by the same primary artist (``artist_share`` of it), which raised genre
precision on other artists' tracks by about 0.05 on validation. Only the track's own
features and its artist's other tracks' features are read, never a label, so a new
song still gets a vector (a new artist's first song simply keeps its own prediction).
The audio-feature block stays the track's own, so explanations describe the track.

Saved with skops (no pickle): loading accepts only scikit-learn's own types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.errors import InvalidArgumentError, ModelIntegrityError
from musicrec.progress import SILENT, Progress

#: Block weights, chosen on a validation split inside the training data (docs/evaluation.md).
DEFAULT_BLOCK_WEIGHTS: dict[str, float] = {"genre": 0.5, "subgenre": 1.0, "playlist": 0.5}
#: Rows predicted at a time when embedding (bounds memory; the default catalog is one batch).
PREDICT_BATCH = 32_768
#: Share of the artist's mean in each style block (chosen on validation, docs/evaluation.md).
DEFAULT_ARTIST_SHARE = 0.5
#: Most boosting rounds per classifier (early stopping usually ends sooner).
BOOSTING_ROUNDS = 300
#: skops types trusted on load besides its defaults: the boosted trees' node tables.
TRUSTED_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


@dataclass
class StyleConfig:
    """How the style model is fitted: block weights, playlist block size, seed."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BLOCK_WEIGHTS))
    feature_weight: float = 0.5
    playlist_dims: int = 32
    random_state: int = 0
    artist_share: float = DEFAULT_ARTIST_SHARE

    def __post_init__(self) -> None:
        if not 0.0 <= self.artist_share <= 1.0:
            raise InvalidArgumentError(
                f"artist_share must be between 0 and 1 (got {self.artist_share})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": dict(self.weights), "feature_weight": self.feature_weight,
            "playlist_dims": self.playlist_dims, "random_state": self.random_state,
            "artist_share": self.artist_share,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> StyleConfig:
        return cls(
            {str(k): float(v) for k, v in state["weights"].items()},
            float(state["feature_weight"]), int(state["playlist_dims"]),
            int(state["random_state"]), float(state.get("artist_share", 0.0)),
        )


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _expand(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One training row per (track, label): multi-label data for a one-label classifier."""
    rows, classes = np.nonzero(labels)
    return x[rows], classes


def group_means(matrix: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each row replaced by the mean of the rows in its group (``groups``: integer codes)."""
    codes, inverse = np.unique(groups, return_inverse=True)
    return _group_means(matrix, inverse, len(codes))


def _group_means(matrix: np.ndarray, inverse: np.ndarray, groups: int) -> np.ndarray:
    # one bincount per column: the same sums, in the same order, as np.add.at
    sums = np.column_stack([np.bincount(inverse, weights=matrix[:, j], minlength=groups)
                            for j in range(matrix.shape[1])]).reshape(groups, -1)
    counts = np.bincount(inverse, minlength=groups)[:, None]
    return (sums / counts)[inverse]


def with_artist_context(
    blocks: Mapping[str, np.ndarray], groups: np.ndarray, share: float, *,
    in_place: bool = False,
) -> dict[str, np.ndarray]:
    """Each unit-length block blended with its artist's mean block, back to unit length:
    ``unit((1 - share) * own + share * mean over the artist's rows)``. With ``in_place``
    the blocks' own arrays are overwritten (no second copy of a million rows)."""
    if share == 0.0:
        return dict(blocks)
    codes, inverse = np.unique(groups, return_inverse=True)
    out = {}
    for name, block in blocks.items():
        blended = _group_means(block, inverse, len(codes))
        blended *= share
        own = block * (1.0 - share)
        blended += own
        del own
        norms = np.linalg.norm(blended, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        if in_place:
            np.divide(blended, norms, out=block)
            out[name] = block
        else:
            out[name] = blended / norms
    return out


def combine(scaled: np.ndarray, blocks: Mapping[str, np.ndarray], config: StyleConfig):
    """[feature block, style blocks], each unit-length times its weight, so every row has
    the same length. The first ``scaled.shape[1]`` columns are the audio features, so
    explanations can still read feature contributions there."""
    parts = [config.feature_weight * _unit(np.asarray(scaled, dtype=np.float64))]
    parts += [config.weights.get(name, 0.0) * block for name, block in blocks.items()]
    return np.hstack(parts)


def _boost_in_steps(estimator, x: np.ndarray, y: np.ndarray, progress: Progress, label: str,
                    step: int = 100):
    """``estimator.fit(x, y)`` for a gradient-boosting classifier, ``step`` rounds at a
    time (warm start), counting rounds for a progress bar. The result is the same model
    as one fit (early stopping included; a test holds the two together)."""
    total = int(estimator.max_iter)
    estimator.set_params(warm_start=True, max_iter=min(step, total))
    while True:
        estimator.fit(x, y)
        stopped = estimator.n_iter_ < estimator.max_iter
        progress.count(label, total if stopped else int(estimator.n_iter_), total)
        if stopped or estimator.max_iter >= total:
            break
        estimator.set_params(max_iter=min(total, estimator.max_iter + step))
    estimator.set_params(warm_start=False, max_iter=total)
    return estimator


def _fit_obeying_interrupts(estimator, x: np.ndarray, y: np.ndarray):
    """``estimator.fit(x, y)``, re-raising a Ctrl-C the estimator swallowed.

    scikit-learn's MLP catches KeyboardInterrupt, warns "Training interrupted by user"
    and returns a half-trained model; a build must stop instead and keep the old model.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = estimator.fit(x, y)
    for warning in caught:
        if "interrupted by user" in str(warning.message):
            raise KeyboardInterrupt
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)
    return fitted


class StyleModel:
    """Classifiers from standardised features to style probabilities (see module doc)."""

    def __init__(self, config: StyleConfig | None = None) -> None:
        self.config = config or StyleConfig()

    def fit(
        self,
        scaled: np.ndarray,
        cues: np.ndarray,
        genres: np.ndarray,
        subgenres: np.ndarray,
        playlists: Mapping[str, np.ndarray],
        genre_names: list[str],
        subgenre_names: list[str],
        progress: Progress | None = None,
    ) -> StyleModel:
        """Fit on standardised audio features (n, d), text cues (n, c) (see
        :mod:`musicrec.features.cues`) and label matrices over the same rows.

        Only rows with labels are learned from; ``playlists`` maps a playlist to its rows.
        """
        from sklearn.decomposition import PCA
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.neural_network import MLPClassifier

        say = (progress or SILENT).say
        seed = self.config.random_state
        if not genres.any() or not subgenres.any() or not playlists:
            raise InvalidArgumentError("the style model needs tracks with genres in playlists")

        def boosted():
            return HistGradientBoostingClassifier(
                max_iter=BOOSTING_ROUNDS, learning_rate=0.08, early_stopping=True,
                n_iter_no_change=20, random_state=seed,
            )

        labelled = genres.any(axis=1)
        self.cue_mean_ = cues[labelled].mean(axis=0)
        self.cue_scale_ = cues[labelled].std(axis=0)
        self.cue_scale_[self.cue_scale_ == 0] = 1.0
        inputs = self._inputs(scaled, cues)
        progress = progress or SILENT
        say("Learning genres from features (stage 1 of 3)")
        self.genre_model_ = _boost_in_steps(boosted(), *_expand(inputs, genres),
                                            progress, "genre rounds")
        say("Learning subgenres from features (stage 2 of 3)")
        self.subgenre_model_ = _boost_in_steps(boosted(), *_expand(inputs, subgenres),
                                               progress, "subgenre rounds")
        say("Learning playlist styles from features (stage 3 of 3: a small network)")
        names = sorted(playlists)
        rows = np.concatenate([playlists[p] for p in names])
        target = np.repeat(np.arange(len(names)), [len(playlists[p]) for p in names])
        # single precision on one BLAS thread: half the time of float64, and a second
        # thread gains nothing at these sizes but loses badly on busy cores (see
        # docs/performance.md, "The build on a busy machine")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            self.playlist_model_ = _fit_obeying_interrupts(MLPClassifier(
                (128,), alpha=1e-3, early_stopping=True, max_iter=200, random_state=seed
            ), inputs[rows].astype(np.float32), target)
        self.playlist_model_._optimizer = None  # training state only; keeps the file plain
        roots = np.sqrt(self.playlist_model_.predict_proba(inputs))
        dims = min(self.config.playlist_dims, roots.shape[1], roots.shape[0])
        self.playlist_pca_ = PCA(dims, random_state=seed).fit(roots)
        self.genre_names_ = [genre_names[c] for c in self.genre_model_.classes_]
        self.subgenre_names_ = [subgenre_names[c] for c in self.subgenre_model_.classes_]
        return self

    # ------------------------------------------------------------ embedding
    @property
    def dims_(self) -> int:
        """Columns the style blocks add."""
        return (len(self.genre_names_) + len(self.subgenre_names_)
                + int(self.playlist_pca_.n_components_))

    def _inputs(self, scaled: np.ndarray, cues: np.ndarray) -> np.ndarray:
        return np.hstack([scaled, (cues - self.cue_mean_) / self.cue_scale_])

    def blocks(
        self, scaled: np.ndarray, cues: np.ndarray, artists: np.ndarray | None = None,
        progress: Progress | None = None,
    ) -> dict[str, np.ndarray]:
        """Each block's unit-length rows, before weighting; with ``artists`` (a primary
        artist code per row), blended with the artist's mean (see module doc)."""
        inputs = self._inputs(scaled, cues)
        n = len(inputs)
        own = {"genre": np.empty((n, len(self.genre_names_))),
               "subgenre": np.empty((n, len(self.subgenre_names_))),
               "playlist": np.empty((n, int(self.playlist_pca_.n_components_)))}
        # in batches: the playlist network's probabilities are one column per playlist,
        # (n x 471) at once would be 3.8 GB for a million tracks
        for start in range(0, n, PREDICT_BATCH):
            part = slice(start, min(n, start + PREDICT_BATCH))
            rows = inputs[part]
            own["genre"][part] = _unit(self.genre_model_.predict_proba(rows))
            own["subgenre"][part] = _unit(self.subgenre_model_.predict_proba(rows))
            roots = np.sqrt(self.playlist_model_.predict_proba(rows))
            own["playlist"][part] = _unit(self.playlist_pca_.transform(roots))
            if n > PREDICT_BATCH:
                (progress or SILENT).count("style predictions", part.stop, n)
        if artists is None:
            return own
        return with_artist_context(own, artists, self.config.artist_share, in_place=True)

    def embed(
        self, scaled: np.ndarray, cues: np.ndarray, artists: np.ndarray | None = None
    ) -> np.ndarray:
        """[feature block, style blocks], weighted (see :func:`combine`)."""
        return combine(scaled, self.blocks(scaled, cues, artists), self.config)

    # ------------------------------------------------------------ files
    def save(self, path: Path) -> None:
        """Write the fitted estimators with skops (no pickle)."""
        import skops.io as sio

        sio.dump(
            {
                "config": self.config.to_dict(),
                "genre_model": self.genre_model_,
                "subgenre_model": self.subgenre_model_,
                "playlist_model": self.playlist_model_,
                "playlist_pca": self.playlist_pca_,
                "cue_mean": self.cue_mean_,
                "cue_scale": self.cue_scale_,
                "genre_names": self.genre_names_,
                "subgenre_names": self.subgenre_names_,
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> StyleModel:
        """Read a saved style model; anything but the expected scikit-learn types is refused."""
        import skops.io as sio

        try:
            untrusted = sio.get_untrusted_types(file=path)
            unexpected = [t for t in untrusted if t not in TRUSTED_TYPES]
            if unexpected:
                raise ModelIntegrityError(
                    f"{path} holds types that are not trusted: {', '.join(unexpected)}"
                )
            state = sio.load(path, trusted=untrusted)
            model = cls(StyleConfig.from_dict(state["config"]))
            model.genre_model_ = state["genre_model"]
            model.subgenre_model_ = state["subgenre_model"]
            model.playlist_model_ = state["playlist_model"]
            model.playlist_pca_ = state["playlist_pca"]
            model.cue_mean_ = np.asarray(state["cue_mean"], dtype=np.float64)
            model.cue_scale_ = np.asarray(state["cue_scale"], dtype=np.float64)
            model.genre_names_ = list(state["genre_names"])
            model.subgenre_names_ = list(state["subgenre_names"])
        except ModelIntegrityError:
            raise
        except Exception as exc:  # a damaged or foreign file
            raise ModelIntegrityError(f"the style model {path} cannot be read ({exc})") from exc
        return model
