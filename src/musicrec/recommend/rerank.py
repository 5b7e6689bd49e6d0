"""Rerank steps after retrieval: one song per version, per-artist cap, MMR diversity.

Each step has one job, in the style of a troi playlist chain: candidates in, fewer or
reordered candidates out.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def one_per_song(rows: np.ndarray, version_codes: np.ndarray) -> np.ndarray:
    """Positions in ``rows`` (best first) of the first candidate of each song."""
    _, first = np.unique(version_codes[rows], return_index=True)
    return np.sort(first)


def select(
    rows: np.ndarray,
    scores: np.ndarray,
    k: int,
    artist_codes: np.ndarray,
    artist_cap: int | None,
    mmr_lambda: float,
    similarity: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> list[int]:
    """Pick k positions of ``rows`` (best-first candidates) by MMR under an artist cap.

    MMR: each step takes the candidate maximising
    ``lambda * score - (1 - lambda) * max similarity to those already taken``; lambda = 1
    keeps the plain ranking. Candidates past the artist cap are only used to backfill
    when too few others remain.
    """
    n = len(rows)
    if n == 0 or k <= 0:
        return []
    if mmr_lambda >= 1.0:
        return in_order(rows, k, None, artist_codes, artist_cap)[0]
    artists = artist_codes[rows].tolist()
    objective = scores.astype(np.float64)
    pair_sim = similarity(rows, rows).astype(np.float64)
    max_sim = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    blocked = np.zeros(n, dtype=bool)  # artist already at its cap
    artist_array = np.asarray(artists)
    per_artist: dict[int, int] = {}
    taken: list[int] = []
    while len(taken) < k:
        eligible = available & ~blocked
        if not eligible.any():
            break
        if taken:
            mmr = mmr_lambda * objective - (1.0 - mmr_lambda) * max_sim
            pick = int(np.flatnonzero(eligible)[np.argmax(mmr[eligible])])
        else:
            pick = int(np.argmax(eligible))  # candidates are best-first
        taken.append(pick)
        available[pick] = False
        artist = artists[pick]
        per_artist[artist] = per_artist.get(artist, 0) + 1
        if artist_cap is not None and per_artist[artist] >= artist_cap:
            blocked |= artist_array == artist
        max_sim = np.maximum(max_sim, pair_sim[pick])
    if len(taken) < k:  # backfill with capped candidates, best first
        rest = np.flatnonzero(available)
        taken.extend(int(i) for i in rest[: k - len(taken)])
    return taken


def in_order(
    rows: np.ndarray,
    k: int,
    version_codes: np.ndarray | None,
    artist_codes: np.ndarray,
    artist_cap: int | None,
) -> tuple[list[int], int]:
    """The plain ranking in one pass: positions of up to k of ``rows`` (best first).

    Keeps the first candidate of each song (when ``version_codes`` is given) and at most
    ``artist_cap`` per artist, backfilling with capped candidates when too few others
    remain. Also returns how many distinct songs it saw: at least k when it filled the
    list from uncapped candidates, else every distinct song in ``rows``.
    """
    artists = artist_codes[rows].tolist()
    songs = version_codes[rows].tolist() if version_codes is not None else range(len(rows))
    seen: set[int] = set()
    taken: list[int] = []
    skipped: list[int] = []
    per_artist: dict[int, int] = {}
    for i, (song, artist) in enumerate(zip(songs, artists)):  # noqa: B905 (range or list)
        if song in seen:
            continue
        seen.add(song)
        count = per_artist.get(artist, 0)
        if artist_cap is not None and count >= artist_cap:
            skipped.append(i)
            continue
        per_artist[artist] = count + 1
        taken.append(i)
        if len(taken) == k:
            return taken, len(seen)
    return taken + skipped[: k - len(taken)], len(seen)
