"""Interactions as the models read them: a sparse (users x catalog tracks) matrix.

A "user" is whoever groups tracks: a playlist, a listener. Collaborative model kinds
learn from this matrix only; where it comes from (the catalog's own playlists, an
imported listening file, a training part of either) is decided before the fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class UserItems:
    """Weights of (user, catalog row) pairs; ``users`` names the matrix's rows."""

    matrix: sp.csr_matrix  # (n_users, n_tracks) float32, summed weights
    users: list[str]
    #: where the data came from, for the model's description
    source: str = "the catalog's playlists"
    #: the imported listening data's name (None: the catalog's own playlists)
    name: str | None = None

    @classmethod
    def from_groups(cls, groups: Mapping[str, np.ndarray], n_tracks: int) -> UserItems:
        """One user per group (playlist id -> catalog rows), weight 1 per membership."""
        users = [u for u, rows in groups.items() if len(rows)]
        lengths = [len(groups[u]) for u in users]
        cols = (np.concatenate([np.asarray(groups[u], dtype=np.int64) for u in users])
                if users else np.zeros(0, dtype=np.int64))
        rows = np.repeat(np.arange(len(users)), lengths)
        return cls.from_pairs(rows, cols, None, users, n_tracks)

    @classmethod
    def from_pairs(cls, user_codes: np.ndarray, track_rows: np.ndarray,
                   weights: np.ndarray | None, users: Sequence[str], n_tracks: int
                   ) -> UserItems:
        """From parallel arrays of user codes, catalog rows and weights (1 when None);
        repeated pairs add up."""
        data = (np.ones(len(track_rows), dtype=np.float32) if weights is None
                else np.asarray(weights, dtype=np.float32))
        matrix = sp.csr_matrix((data, (np.asarray(user_codes), np.asarray(track_rows))),
                               shape=(len(users), n_tracks), dtype=np.float32)
        matrix.sum_duplicates()
        return cls(matrix, list(users))

    def describe(self) -> dict:
        """Where the data came from and its size, as a model keeps it."""
        return {"source": self.source, "listens": self.name, "users": self.n_users,
                "interactions": self.n_pairs}

    @property
    def n_users(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_pairs(self) -> int:
        return int(self.matrix.nnz)

    def warm_rows(self) -> np.ndarray:
        """Catalog rows that appear in at least one user's interactions."""
        return np.flatnonzero(np.diff(self.matrix.tocsc().indptr) > 0)

    def groups(self) -> dict[str, np.ndarray]:
        """User -> the catalog rows they interacted with."""
        m = self.matrix
        return {u: m.indices[m.indptr[i]:m.indptr[i + 1]].astype(np.int64)
                for i, u in enumerate(self.users)}

    def subset(self, users: Sequence[str]) -> UserItems:
        """Only these users (in this order)."""
        position = {u: i for i, u in enumerate(self.users)}
        chosen = [position[u] for u in users]
        return UserItems(self.matrix[chosen], list(users), self.source, self.name)

    def validation_split(self, share: float, min_tracks: int, seed: int = 0):
        """(train, seeds, hidden): a seeded ``share`` of the users with at least
        ``min_tracks`` tracks held out, each one's tracks split in seeded halves
        (:func:`~musicrec.data.interactions.holdout.playlist_split`); None when no user
        qualifies."""
        from musicrec.data.interactions.holdout import playlist_split

        split = playlist_split(self.groups(), share, min_tracks, seed)
        if not split.test:
            return None
        return (self.subset(split.train), [split.seeds[p] for p in split.test],
                [split.hidden[p] for p in split.test])


def user_items(listens, catalog) -> UserItems:
    """The events of ``listens`` whose items matched ``catalog`` tracks, as a matrix
    (weights add up per user and track)."""
    from musicrec.data.interactions.matching import catalog_rows

    rows = catalog_rows(listens, catalog)
    events = listens.events
    item_rows = rows[events["item"].to_numpy()]
    keep = item_rows >= 0
    users = events["user"].to_numpy()[keep]
    used, codes = np.unique(users, return_inverse=True)
    names = listens.users["user"].to_numpy(dtype=object)[used].tolist()
    out = UserItems.from_pairs(codes, item_rows[keep], events["weight"].to_numpy()[keep],
                               [str(n) for n in names], len(catalog))
    out.source = str(listens.report.path)
    return out
