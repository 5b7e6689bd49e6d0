"""Ranking and beyond-accuracy metrics, as plain functions of ranked rows.

Playlist-continuation metrics follow the RecSys Challenge 2018 definitions: R-precision
(with its 0.25 credit for a hidden track's artist in the variant), NDCG with the first
position undiscounted, and "clicks", the number of 10-track pages a listener refreshes
before the first hidden track shows (51 when none of the 500 does).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CLICKS_PAGE = 10
CLICKS_MISS = 51


def precision_at_k(relevant: Sequence[bool] | np.ndarray, k: int) -> float:
    """Share of the first k positions that are relevant (a short list counts as misses)."""
    relevant = np.asarray(relevant, dtype=bool)[:k]
    return float(relevant.sum()) / k


def r_precision(
    ranked: np.ndarray,
    hidden: np.ndarray,
    artist_of: np.ndarray | None = None,
    artist_credit: float = 0.25,
) -> float:
    """Hidden tracks among the first |hidden| recommended, over |hidden|.

    With ``artist_of`` (artist code per catalog row), each recommended track that is
    not hidden but is by an artist of a not-yet-found hidden track earns
    ``artist_credit`` once per such artist, as the challenge's updated rule does.
    """
    hidden = np.asarray(hidden)
    size = len(hidden)
    if size == 0:
        raise ValueError("a playlist with no hidden tracks has no R-precision")
    top = np.asarray(ranked)[:size]
    hits = np.isin(top, hidden)
    score = float(hits.sum())
    if artist_of is not None:
        missed = set(artist_of[hidden[~np.isin(hidden, top)]].tolist())
        found = {artist_of[r] for r in top[~hits].tolist()} & missed
        score += artist_credit * len(found)
    return score / size


def ndcg_at_k(ranked: np.ndarray, hidden: np.ndarray, k: int = 100) -> float:
    """NDCG over the first k, relevance 1 for hidden tracks; DCG = rel_1 + sum rel_i/log2 i."""
    hidden = np.asarray(hidden)
    if len(hidden) == 0:
        raise ValueError("a playlist with no hidden tracks has no NDCG")
    relevant = np.isin(np.asarray(ranked)[:k], hidden).astype(float)
    discounts = np.ones(k)
    discounts[1:] = 1.0 / np.log2(np.arange(2, k + 1))
    dcg = float((relevant * discounts[: len(relevant)]).sum())
    ideal = float(discounts[: min(len(hidden), k)].sum())
    return dcg / ideal


def recall_at_k(ranked: np.ndarray, hidden: np.ndarray, k: int = 100) -> float:
    """Share of the hidden tracks found in the first k."""
    hidden = np.asarray(hidden)
    return float(np.isin(hidden, np.asarray(ranked)[:k]).sum()) / len(hidden)


def clicks(ranked: np.ndarray, hidden: np.ndarray, limit: int = 500) -> int:
    """Pages of 10 refreshed before the first hidden track appears; 51 if none in ``limit``."""
    found = np.flatnonzero(np.isin(np.asarray(ranked)[:limit], hidden))
    return int(found[0] // CLICKS_PAGE) if len(found) else CLICKS_MISS


def coverage(lists: Sequence[np.ndarray], n_candidates: int) -> float:
    """Share of the candidate tracks that appear in at least one list."""
    shown = set()
    for rows in lists:
        shown.update(np.asarray(rows).tolist())
    return len(shown) / n_candidates if n_candidates else 0.0


def intra_list_diversity(rows: np.ndarray, vectors: np.ndarray) -> float:
    """Mean pairwise cosine distance (1 - cosine) between a list's tracks."""
    rows = np.asarray(rows)
    if len(rows) < 2:
        return 0.0
    v = np.asarray(vectors[rows], dtype=np.float64)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sim = v @ v.T
    n = len(rows)
    return float((n * n - sim.sum()) / (n * (n - 1)))  # diagonal terms are 1 - 1 = 0


def self_information(popularity: np.ndarray) -> np.ndarray:
    """-log2 p per track, p proportional to popularity + 1 (0-100 scale; missing as 0)."""
    pop = np.nan_to_num(np.asarray(popularity, dtype=np.float64), nan=0.0) + 1.0
    return -np.log2(pop / pop.sum())


def novelty(rows: np.ndarray, information: np.ndarray) -> float:
    """Mean self-information of a list's tracks (higher: less popular tracks)."""
    rows = np.asarray(rows)
    return float(information[rows].mean()) if len(rows) else 0.0


def distinct_artists(rows: np.ndarray, artist_of: np.ndarray) -> int:
    """How many different (primary) artists a list holds."""
    return len(set(artist_of[np.asarray(rows)].tolist()))
