"""Collaborative factors: what listening data (playlists, plays) says about tracks, fused
with the content vector.

A model kind that learns from interactions (``als``, ``lightfm``, ``hybrid``) adds a
:class:`CollaborativeBlock` to its feature space. Each track then gets a factor vector:
its own learned factors when it appears in the interactions (a *warm* track), plus,
for LightFM, a projection of its content vector (so a *cold* track, in no playlist,
still gets one). The model's vector of a track is

    unit( [ sqrt(1 - share) * content,  sqrt(share) * unit(factors) ] )

so the cosine of two warm tracks is ``(1 - share) * content cosine + share * factor
cosine``; a track without factors keeps ``[content, 0]``, i.e. it is placed by content
alone (the fallback). ``warm_only`` (ALS on its own) recommends warm tracks only.

Saved as two ``.npy`` arrays (factors, track ids) and an optional projection; no pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from musicrec.errors import ModelIntegrityError

FACTORS = "collab_factors.npy"
TRACK_IDS = "collab_track_ids.npy"
PROJECTION = "collab_projection.npy"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class CollaborativeBlock:
    """Learned per-track factors, fused with content vectors (see the module docstring).

    Parameters
    ----------
    method : what learned the factors ("als", "lightfm").
    share : the factors' share of the similarity, 0-1.
    track_ids : (n_warm,) ids of the tracks with learned factors.
    factors : (n_warm, f) their factors.
    projection : optional (content dims, f) map from a content vector to factors, added
        to a track's own (LightFM's feature embeddings); tracks without own factors get
        this part alone.
    warm_only : recommend only tracks with own factors (a purely collaborative model).
    details : what the fit measured (validation table, data sizes), kept in the model.
    """

    def __init__(
        self,
        method: str,
        share: float,
        track_ids: Sequence[str] | np.ndarray,
        factors: np.ndarray,
        projection: np.ndarray | None = None,
        warm_only: bool = False,
        details: dict[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be between 0 and 1 (got {share})")
        self.method = method
        self.share = float(share)
        self.track_ids = np.asarray(track_ids, dtype=str)
        self.factors = np.asarray(factors, dtype=np.float32)
        self.projection = None if projection is None else np.asarray(projection, np.float32)
        self.warm_only = bool(warm_only)
        self.details = dict(details or {})
        if self.factors.ndim != 2 or len(self.factors) != len(self.track_ids):
            raise ValueError("factors must be (n_tracks, f), one row per track id")
        self._rows = {t: i for i, t in enumerate(self.track_ids.tolist())}

    @property
    def dims(self) -> int:
        return int(self.factors.shape[1])

    def warm(self, track_ids: Sequence[str]) -> np.ndarray:
        """Which of ``track_ids`` have their own learned factors."""
        rows = self._rows
        return np.fromiter((str(t) in rows for t in track_ids), bool, len(track_ids))

    def factor_vectors(self, content: np.ndarray, track_ids: Sequence[str]) -> np.ndarray:
        """(n, f) unit factor vectors; zero rows for tracks that have none."""
        n = len(track_ids)
        out = (np.zeros((n, self.dims), dtype=np.float32) if self.projection is None else
               np.asarray(content, dtype=np.float32) @ self.projection)
        index = np.fromiter((self._rows.get(str(t), -1) for t in track_ids), np.int64, n)
        known = index >= 0
        out[known] += self.factors[index[known]]
        return unit_rows(out)

    def combine(self, content: np.ndarray, track_ids: Sequence[str]) -> np.ndarray:
        """The model's unit vectors (n, content dims + f) for these tracks."""
        content = unit_rows(content)
        factors = self.factor_vectors(content, track_ids)
        has = np.linalg.norm(factors, axis=1) > 0
        if self.warm_only:  # a purely collaborative model has nothing for the others
            content_part = np.zeros_like(content)
        else:
            scale = np.where(has, np.sqrt(1.0 - self.share), 1.0).astype(np.float32)
            content_part = content * scale[:, None]
        return unit_rows(np.hstack([content_part, np.sqrt(self.share) * factors]))

    # ---------------------------------------------------------------- saving
    def to_dict(self) -> dict[str, Any]:
        """What JSON keeps (the arrays go to ``save``)."""
        return {"method": self.method, "share": self.share, "warm_only": self.warm_only,
                "dims": self.dims, "tracks": len(self.track_ids),
                "projection": self.projection is not None, "details": self.details}

    def save(self, directory: Path) -> list[str]:
        """Write the arrays into ``directory``; returns the file names."""
        np.save(directory / FACTORS, self.factors, allow_pickle=False)
        np.save(directory / TRACK_IDS, self.track_ids, allow_pickle=False)
        names = [FACTORS, TRACK_IDS]
        if self.projection is not None:
            np.save(directory / PROJECTION, self.projection, allow_pickle=False)
            names.append(PROJECTION)
        return names

    @classmethod
    def load(cls, directory: Path, state: dict[str, Any], content_dims: int
             ) -> CollaborativeBlock:
        """Read what ``save`` wrote, checked against ``state`` (from ``to_dict``)."""
        try:
            factors = np.load(directory / FACTORS, allow_pickle=False)
            ids = np.load(directory / TRACK_IDS, allow_pickle=False)
            projection = (np.load(directory / PROJECTION, allow_pickle=False)
                          if state.get("projection") else None)
            block = cls(str(state["method"]), float(state["share"]), ids, factors,
                        projection, bool(state.get("warm_only")), state.get("details"))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(f"the collaborative factors in {directory} cannot be "
                                      f"read ({exc})") from exc
        if block.dims != int(state.get("dims", -1)) or (
                projection is not None and projection.shape != (content_dims, block.dims)):
            raise ModelIntegrityError(f"the collaborative factors in {directory} do not fit "
                                      "the model's feature space; rebuild it")
        return block
