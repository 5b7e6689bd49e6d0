"""Rerank steps after retrieval, in the style of a troi playlist chain: candidates in,
candidates out, each step with one job.

A :class:`Candidates` list is best first; its first ``preferred`` entries are the ones
to show, the rest only fill up when too few preferred ones remain. A step may drop
candidates (one per song), move them behind the preferred ones (artist cap) or reorder
the preferred ones (MMR diversity). :func:`steps_for` configures the standard chain
from a request; a list of steps composes with :func:`apply_steps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from musicrec.recommend.request import RecommendRequest


@dataclass
class Candidates:
    """Catalog rows and their scores, best first; the first ``preferred`` are preferred."""

    rows: np.ndarray
    scores: np.ndarray
    preferred: int

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, positions: np.ndarray, preferred: int) -> Candidates:
        """These positions, in this order, with the first ``preferred`` preferred."""
        return Candidates(self.rows[positions], self.scores[positions], preferred)

    def top(self, k: int) -> Candidates:
        """The first k: the preferred ones, then fill-up."""
        return Candidates(self.rows[:k], self.scores[:k], min(self.preferred, k))


class RerankStep(Protocol):
    """One rerank step: ``step(candidates, k) -> candidates``."""

    def __call__(self, candidates: Candidates, k: int) -> Candidates: ...


class OnePerSong:
    """Keep the best candidate of each song (versions share a song code)."""

    def __init__(self, version_codes: np.ndarray) -> None:
        self.version_codes = version_codes

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        _, first = np.unique(self.version_codes[candidates.rows], return_index=True)
        first = np.sort(first)
        return candidates.take(first, int((first < candidates.preferred).sum()))


class ArtistCap:
    """At most ``cap`` preferred candidates per artist; the others move behind the
    preferred ones, in order, to fill up only when too few others remain."""

    def __init__(self, artist_codes: np.ndarray, cap: int) -> None:
        self.artist_codes = artist_codes
        self.cap = cap

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        p = candidates.preferred
        artists = self.artist_codes[candidates.rows[:p]]
        order = np.argsort(artists, kind="stable")
        sorted_artists = artists[order]
        starts = np.flatnonzero(np.r_[True, sorted_artists[1:] != sorted_artists[:-1]])
        rank_sorted = np.arange(p) - np.repeat(starts, np.diff(np.r_[starts, p]))
        rank = np.empty(p, dtype=np.int64)
        rank[order] = rank_sorted  # how many earlier candidates share the artist
        kept = rank < self.cap
        positions = np.concatenate([np.flatnonzero(kept), np.flatnonzero(~kept),
                                    np.arange(p, len(candidates))])
        return candidates.take(positions, int(kept.sum()))


class Diversify:
    """Maximal marginal relevance over the preferred candidates: each pick maximises
    ``lam * score - (1 - lam) * max similarity to those already picked``."""

    def __init__(self, vectors: np.ndarray, lam: float) -> None:
        self.vectors = vectors
        self.lam = lam

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        p = candidates.preferred
        if p <= 1:
            return candidates
        rows = candidates.rows[:p]
        vectors = np.asarray(self.vectors[rows], dtype=np.float64)
        pair = vectors @ vectors.T
        objective = self.lam * candidates.scores[:p].astype(np.float64)
        max_sim = np.full(p, -np.inf)
        available = np.ones(p, dtype=bool)
        taken = [0]  # the best candidate first
        available[0] = False
        max_sim = np.maximum(max_sim, pair[0])
        while len(taken) < min(k, p):
            mmr = np.where(available, objective - (1.0 - self.lam) * max_sim, -np.inf)
            pick = int(np.argmax(mmr))
            taken.append(pick)
            available[pick] = False
            max_sim = np.maximum(max_sim, pair[pick])
        positions = np.concatenate([taken, np.flatnonzero(available),
                                    np.arange(p, len(candidates))])
        return candidates.take(positions, p)


def steps_for(
    request: RecommendRequest, version_codes: np.ndarray, artist_codes: np.ndarray,
    vectors: np.ndarray,
) -> list[RerankStep]:
    """The standard chain for a request: one per song, the artist cap, then diversity."""
    steps: list[RerankStep] = [OnePerSong(version_codes)]
    if request.cap is not None:
        steps.append(ArtistCap(artist_codes, request.cap))
    if request.diversity > 0:
        steps.append(Diversify(vectors, 1.0 - request.diversity))
    return steps


def apply_steps(candidates: Candidates, steps: list[RerankStep], k: int) -> Candidates:
    """Run ``steps`` in order."""
    for step in steps:
        candidates = step(candidates, k)
    return candidates
