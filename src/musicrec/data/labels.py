"""What the playlists say about tracks: genre and subgenre sets, memberships.

In the TidyTuesday data every playlist carries one genre and one subgenre; a track's
labels are those of the playlists it is in. Labels are always taken from a chosen set
of playlists, so a split can keep its test playlists out of anything that is fitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.errors import InvalidArgumentError


@dataclass
class TrackLabels:
    """Boolean label matrices over catalog rows, and the playlists they came from."""

    genres: np.ndarray  # (n_tracks, n_genres) bool
    genre_names: list[str]
    subgenres: np.ndarray  # (n_tracks, n_subgenres) bool
    subgenre_names: list[str]
    playlist_rows: dict[str, np.ndarray]  # playlist id -> catalog rows, in playlist order

    @property
    def labelled(self) -> np.ndarray:
        """Rows that carry at least one genre."""
        return self.genres.any(axis=1)

    def restricted(self, rows: np.ndarray) -> TrackLabels:
        """The same labels with every row outside ``rows`` cleared (e.g. test artists)."""
        keep = np.zeros(self.genres.shape[0], dtype=bool)
        keep[rows] = True
        kept = {p: r[keep[r]] for p, r in self.playlist_rows.items()}
        return TrackLabels(
            self.genres & keep[:, None], self.genre_names,
            self.subgenres & keep[:, None], self.subgenre_names,
            {p: r for p, r in kept.items() if len(r)},
        )


def playlist_members(catalog: Catalog) -> dict[str, np.ndarray]:
    """Playlist id -> catalog rows of its tracks, in the order the data lists them."""
    interactions = catalog.interactions
    rows = np.array([catalog.index_of(str(t)) for t in interactions["track_id"]], dtype=object)
    known = np.array([r is not None for r in rows], dtype=bool)
    out: dict[str, list[int]] = {}
    for playlist, row in zip(interactions["playlist_id"][known], rows[known], strict=True):
        out.setdefault(str(playlist), []).append(int(row))
    return {p: np.array(list(dict.fromkeys(r)), dtype=np.int64) for p, r in out.items()}


def track_labels(catalog: Catalog, playlists: Iterable[str] | None = None) -> TrackLabels:
    """Genre and subgenre sets of each track from ``playlists`` (all when None)."""
    if catalog.playlists is None or not len(catalog.interactions):
        raise InvalidArgumentError(
            "this catalog has no playlists with genres; evaluation and the learned style "
            "model need them (the default TidyTuesday data has 471)"
        )
    members = playlist_members(catalog)
    chosen = set(members) if playlists is None else {str(p) for p in playlists}
    table = catalog.playlists.set_index(catalog.playlists["playlist_id"].astype(str))
    genres = sorted({g for p in chosen if p in table.index for g in table.at[p, "genres"]})
    subgenres = sorted({g for p in chosen if p in table.index for g in table.at[p, "subgenres"]})
    g_index = {g: i for i, g in enumerate(genres)}
    s_index = {g: i for i, g in enumerate(subgenres)}
    n = len(catalog)
    genre_matrix = np.zeros((n, len(genres)), dtype=bool)
    subgenre_matrix = np.zeros((n, len(subgenres)), dtype=bool)
    for playlist in chosen:
        if playlist not in members or playlist not in table.index:
            continue
        rows = members[playlist]
        for g in table.at[playlist, "genres"]:
            genre_matrix[rows, g_index[g]] = True
        for g in table.at[playlist, "subgenres"]:
            subgenre_matrix[rows, s_index[g]] = True
    return TrackLabels(
        genre_matrix, genres, subgenre_matrix, subgenres,
        {p: members[p] for p in sorted(chosen) if p in members},
    )
