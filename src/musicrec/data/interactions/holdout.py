"""A seeded held-out split of playlists or listeners, each held-out one cut into seeds
and hidden tracks: what the continuation evaluation judges on and what the hybrid kind
chooses its share on. A pure function of the groups and a seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaylistSplit:
    """Training playlists, and test playlists cut into seed and hidden halves."""

    train: list[str]
    test: list[str]
    seeds: dict[str, np.ndarray]  # test playlist -> catalog rows given as seeds
    hidden: dict[str, np.ndarray]  # test playlist -> catalog rows to find


def playlist_split(
    members: dict[str, np.ndarray],
    test_share: float = 0.2,
    min_tracks: int = 10,
    seed: int = 0,
    among: list[str] | None = None,
) -> PlaylistSplit:
    """A seeded ``test_share`` of the playlists with at least ``min_tracks`` tracks is
    held out; in each, a seeded half of the tracks are seeds and the rest are hidden.

    ``among`` limits the split to those playlists (for a validation split inside the
    training playlists).
    """
    pool = sorted(among if among is not None else members)
    eligible = [p for p in pool if len(members[p]) >= min_tracks]
    rng = np.random.default_rng(seed)
    test = sorted(rng.choice(eligible, size=round(test_share * len(eligible)), replace=False))
    held = set(test)
    seeds, hidden = {}, {}
    for playlist in test:
        rows = rng.permutation(members[playlist])
        half = len(rows) // 2
        seeds[playlist], hidden[playlist] = np.sort(rows[:half]), np.sort(rows[half:])
    train = [p for p in pool if p not in held]
    return PlaylistSplit(train, list(test), seeds, hidden)
