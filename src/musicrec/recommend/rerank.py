"""Rerank steps after retrieval, in the style of a troi playlist chain: candidates in,
candidates out, each step with one job.

A :class:`Candidates` list is best first; its first ``preferred`` entries are the ones
to show, the rest only fill up when too few preferred ones remain. A step may drop
candidates (one per song), move them behind the preferred ones (artist cap) or reorder
the preferred ones (MMR diversity). :func:`steps_for` configures the standard chain
from a request; a list of steps composes with :func:`apply_steps`.
"""

from __future__ import annotations

import bisect
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
    """One rerank step: ``step(candidates, k) -> candidates``.

    A step may set ``prefix_stable = True`` when what it does to a candidate depends
    only on the candidates before it (it keeps their order, and drops or moves back a
    candidate because of earlier ones only). A chain of such steps gives the same top k
    on a prefix of the candidates as on all of them, as long as the prefix yields k
    preferred ones; the Recommender uses that to look at fewer candidates.
    """

    def __call__(self, candidates: Candidates, k: int) -> Candidates: ...


class OnePerSong:
    """Keep the best candidate of each song (versions share a song code)."""

    prefix_stable = True

    def __init__(self, version_codes: np.ndarray) -> None:
        self.version_codes = version_codes

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        songs = self.version_codes[candidates.rows].tolist()
        if len(set(songs)) == len(songs):
            return candidates
        seen: set[int] = set()
        first = []
        for i, song in enumerate(songs):
            if song not in seen:
                seen.add(song)
                first.append(i)
        preferred = bisect.bisect_left(first, candidates.preferred)
        return candidates.take(np.array(first, dtype=np.int64), preferred)


class ArtistCap:
    """At most ``cap`` preferred candidates per artist; the others move behind the
    preferred ones, in order, to fill up only when too few others remain."""

    prefix_stable = True

    def __init__(self, artist_codes: np.ndarray, cap: int) -> None:
        self.artist_codes = artist_codes
        self.cap = cap

    def __call__(self, candidates: Candidates, k: int) -> Candidates:
        p = candidates.preferred
        counts: dict[int, int] = {}
        kept: list[int] = []
        capped: list[int] = []
        for i, artist in enumerate(self.artist_codes[candidates.rows[:p]].tolist()):
            seen = counts.get(artist, 0)
            if seen < self.cap:
                counts[artist] = seen + 1
                kept.append(i)
            else:
                capped.append(i)
        if not capped:
            return candidates
        positions = np.array([*kept, *capped, *range(p, len(candidates))], dtype=np.int64)
        return candidates.take(positions, len(kept))


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
    """Run ``steps`` in order. When every step is prefix-stable (see
    :class:`RerankStep`), the first 2k, then 8k candidates are tried first, and all of
    them only when those give fewer than k preferred ones: the answer is the same."""
    if all(getattr(s, "prefix_stable", False) for s in steps):
        for window in (2 * k, 8 * k):
            if window >= len(candidates):
                break
            head = _run(Candidates(candidates.rows[:window], candidates.scores[:window],
                                   min(candidates.preferred, window)), steps, k)
            if head.preferred >= k:
                return head
    return _run(candidates, steps, k)


def _run(candidates: Candidates, steps: list[RerankStep], k: int) -> Candidates:
    for step in steps:
        candidates = step(candidates, k)
    return candidates
