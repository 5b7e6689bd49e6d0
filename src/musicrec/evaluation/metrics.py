"""Ranking and beyond-accuracy metrics: plain functions of ranked rows, and the metric
objects (:class:`Metric`) the harness runs by name.

Playlist-continuation metrics follow the RecSys Challenge 2018 definitions: R-precision
(with its 0.25 credit for a hidden track's artist in the variant), NDCG with the first
position undiscounted, and "clicks", the number of 10-track pages a listener refreshes
before the first hidden track shows (51 when none of the 500 does).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

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


# ------------------------------------------------------------------ metric objects


@dataclass
class Judgement:
    """What one task knows to judge ranked lists by, one entry per query.

    Genre task: ``queries`` (catalog rows) and the label matrices; continuation task:
    ``hidden`` rows per playlist. Both: artist codes, candidate count, a yardstick
    vector space for diversity and self-information for novelty.
    """

    artist_of: np.ndarray
    n_candidates: int = 0
    queries: np.ndarray | None = None
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # "genre" -> (n, g) bool
    hidden: list[np.ndarray] | None = None
    yardstick: np.ndarray | None = None
    information: np.ndarray | None = None


class Metric(ABC):
    """A named measure of a set of ranked lists (one per query) against a judgement."""

    name: str = ""

    @abstractmethod
    def score(self, lists: Sequence[np.ndarray], judge: Judgement) -> float:
        """The measure over all lists (a mean, unless the metric says otherwise)."""


class PerList(Metric):
    """A metric that is the mean of a value computed for each list."""

    def score(self, lists, judge):
        return float(np.mean([self.one(r, i, judge) for i, r in enumerate(lists)]))

    @abstractmethod
    def one(self, rows: np.ndarray, i: int, judge: Judgement) -> float:
        """The value for list ``i``."""


class LabelPrecision(PerList):
    """Share of the first k that share a label (genre, subgenre) with the query."""

    def __init__(self, level: str, k: int) -> None:
        self.level, self.k = level, k
        self.name = f"{level}_p@{k}"

    def one(self, rows, i, judge):
        labels = judge.labels[self.level]
        return precision_at_k((labels[rows[: self.k]] & labels[judge.queries[i]]).any(axis=1),
                              self.k)


class Coverage(Metric):
    """Share of the candidates shown in at least one top k."""

    def __init__(self, k: int = 10) -> None:
        self.k = k
        self.name = f"coverage@{k}"

    def score(self, lists, judge):
        return coverage([r[: self.k] for r in lists], judge.n_candidates)


class Diversity(PerList):
    """Mean pairwise distance within the top k, in the yardstick space."""

    def __init__(self, k: int = 10) -> None:
        self.k = k
        self.name = f"diversity@{k}"

    def one(self, rows, i, judge):
        return intra_list_diversity(rows[: self.k], judge.yardstick)


class Novelty(PerList):
    """Mean self-information of the top k."""

    def __init__(self, k: int = 10) -> None:
        self.k = k
        self.name = f"novelty@{k}"

    def one(self, rows, i, judge):
        return novelty(rows[: self.k], judge.information)


class DistinctArtists(PerList):
    """How many primary artists the top k holds."""

    def __init__(self, k: int = 10) -> None:
        self.k = k
        self.name = f"artists@{k}"

    def one(self, rows, i, judge):
        return distinct_artists(rows[: self.k], judge.artist_of)


class RPrecision(PerList):
    """R-precision of the hidden tracks; with ``artist_credit`` the challenge's variant."""

    def __init__(self, artist_credit: bool = False) -> None:
        self.artist_credit = artist_credit
        self.name = "r_precision_artist" if artist_credit else "r_precision"

    def one(self, rows, i, judge):
        return r_precision(rows, judge.hidden[i], judge.artist_of if self.artist_credit else None)


class NDCG(PerList):
    def __init__(self, k: int = 100) -> None:
        self.k = k
        self.name = f"ndcg@{k}"

    def one(self, rows, i, judge):
        return ndcg_at_k(rows, judge.hidden[i], self.k)


class Recall(PerList):
    def __init__(self, k: int = 100) -> None:
        self.k = k
        self.name = f"recall@{k}"

    def one(self, rows, i, judge):
        return recall_at_k(rows, judge.hidden[i], self.k)


class Clicks(PerList):
    name = "clicks"

    def one(self, rows, i, judge):
        return float(clicks(rows, judge.hidden[i]))


def genre_metrics(ks: Sequence[int] = (5, 10, 20)) -> list[Metric]:
    """The genre task's measures: label precision at each k, then beyond accuracy."""
    precision: list[Metric] = [LabelPrecision(level, k) for k in ks
                               for level in ("genre", "subgenre")]
    return [*precision, Coverage(10), Diversity(10), Novelty(10), DistinctArtists(10)]


def continuation_metrics() -> list[Metric]:
    """The continuation task's measures (RecSys Challenge 2018)."""
    return [RPrecision(), RPrecision(artist_credit=True), NDCG(100), Recall(100), Clicks()]
