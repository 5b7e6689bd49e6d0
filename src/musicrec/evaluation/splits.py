"""Fixed, seeded splits: by artist (genre precision) and by playlist (continuation).

Both are pure functions of the catalog and a seed, so a rerun gives the same split.
Each can be split again inside its training part (``validation``) for choosing
settings without looking at the test part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from musicrec.data.catalog import Catalog

# the held-out split of playlists (or listeners) lives with the listening data, since
# the hybrid model kind chooses its share on one too
from musicrec.data.interactions.holdout import PlaylistSplit, playlist_split


@dataclass(frozen=True)
class ArtistSplit:
    """Rows of training artists and of test artists (no artist on both sides).

    A track belongs to the side of its primary artist; a test track that also credits a
    training artist stays in the test side, but the artist filter of the evaluation
    removes candidates sharing any artist with the query.
    """

    train: np.ndarray
    test: np.ndarray


def artist_split(catalog: Catalog, test_share: float = 0.2, seed: int = 0) -> ArtistSplit:
    """Put a seeded ``test_share`` of primary artists (and all their tracks) in the test part."""
    codes = catalog.artist_codes
    artists = np.unique(codes)
    rng = np.random.default_rng(seed)
    test_artists = rng.choice(artists, size=round(test_share * len(artists)), replace=False)
    is_test = np.isin(codes, test_artists)
    return ArtistSplit(np.flatnonzero(~is_test), np.flatnonzero(is_test))


def inner_artist_split(
    catalog: Catalog, split: ArtistSplit, test_share: float = 0.2, seed: int = 0
) -> ArtistSplit:
    """An artist split inside ``split.train``, for validation."""
    codes = catalog.artist_codes[split.train]
    artists = np.unique(codes)
    rng = np.random.default_rng(seed + 1)
    held = rng.choice(artists, size=round(test_share * len(artists)), replace=False)
    is_held = np.isin(codes, held)
    return ArtistSplit(split.train[~is_held], split.train[is_held])



__all__ = ["ArtistSplit", "PlaylistSplit", "artist_split", "inner_artist_split",
           "playlist_split"]
