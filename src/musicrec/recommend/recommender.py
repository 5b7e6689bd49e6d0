"""The Recommender: the one API that the CLI, REST service and web page all call."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from musicrec.errors import InvalidArgumentError
from musicrec.features.space import feature_matrix
from musicrec.index import ExactIndex, Index
from musicrec.recommend.explain import explain, seed_profile, why_text
from musicrec.recommend.filters import Filters
from musicrec.recommend.rerank import one_per_song, select
from musicrec.recommend.results import Recommendation, Result
from musicrec.recommend.seeds import ResolvedSeed, Seed, as_seed, resolve_seed

if TYPE_CHECKING:
    from musicrec.artifact import Model

SeedLike = str | Seed

#: How strongly a negative seed pushes the query away (Rocchio's gamma).
NEGATIVE_STRENGTH = 0.5
MAX_K = 1000


class Recommender:
    """Recommends catalog tracks similar to seed tracks, with filters and reranking.

    Parameters
    ----------
    model : a built model (see :func:`musicrec.load_model`).
    index : nearest-neighbour backend; exact cosine search by default.
    """

    def __init__(self, model: Model, index: Index | None = None) -> None:
        self.model = model
        self.catalog = model.catalog
        self.space = model.space
        self.vectors = np.asarray(model.vectors)  # plain view of the memmap: cheap indexing
        self.index = index if index is not None else ExactIndex(self.vectors)

    @cached_property
    def _raw(self) -> np.ndarray:
        return feature_matrix(self.catalog.tracks, self.space.features_)

    @cached_property
    def _spread(self) -> np.ndarray:
        return self.space.scale_

    # ---------------------------------------------------------------- seeds
    def resolve(self, seed: SeedLike) -> ResolvedSeed:
        """The catalog track a seed names (raises UnknownTrackError with candidates)."""
        return resolve_seed(self.catalog, as_seed(seed))

    def search(self, text: str, limit: int = 10) -> pd.DataFrame:
        """Tracks whose title or artist fit ``text``, best first."""
        return self.catalog.search(text, limit)

    # ---------------------------------------------------------------- recommend
    def recommend(
        self,
        seeds: Sequence[SeedLike] | SeedLike,
        k: int = 10,
        *,
        negatives: Sequence[SeedLike] = (),
        filters: Filters | None = None,
        artist_cap: int | None = 2,
        mmr_lambda: float = 1.0,
    ) -> Recommendation:
        """Tracks like ``seeds`` (and unlike ``negatives``), best first.

        Parameters
        ----------
        seeds : one or many of: track id, Spotify URL/URI, "title", "title - artist",
            or :class:`Seed` with a weight.
        k : number of tracks to return (1..1000).
        negatives : seeds to move away from ("less like this").
        filters : which tracks may come back.
        artist_cap : at most this many tracks per artist (None: no cap); others backfill
            only when too few tracks remain.
        mmr_lambda : 1.0 ranks by similarity alone; lower values trade similarity for
            diversity (maximal marginal relevance).
        """
        if isinstance(seeds, str | Seed):
            seeds = [seeds]
        return self.recommend_batch(
            [seeds], k, negatives=[negatives], filters=filters, artist_cap=artist_cap,
            mmr_lambda=mmr_lambda,
        )[0]

    def similar(self, track_id: str, k: int = 10, **options) -> Recommendation:
        """Tracks similar to one catalog track, by id."""
        return self.recommend([track_id], k, **options)

    def recommend_batch(
        self,
        seed_sets: Sequence[Sequence[SeedLike]],
        k: int = 10,
        *,
        negatives: Sequence[Sequence[SeedLike]] | None = None,
        filters: Filters | None = None,
        artist_cap: int | None = 2,
        mmr_lambda: float = 1.0,
    ) -> list[Recommendation]:
        """Answer several seed sets in one call (one matrix product for all queries)."""
        _check_options(k, artist_cap, mmr_lambda)
        if negatives is None:
            negatives = [()] * len(seed_sets)
        if len(negatives) != len(seed_sets):
            raise InvalidArgumentError("give one list of negatives per seed set")
        catalog = self.catalog
        prepared = [self._prepare(s, n) for s, n in zip(seed_sets, negatives, strict=True)]
        if not prepared:
            return []
        queries = np.stack([p[2] for p in prepared])
        allowed = (filters or Filters()).mask(catalog)
        # the seeds, the negatives and every version of them never come back
        exclude = [
            catalog.version_rows([r.row for r in (*pos, *neg)]) for pos, neg, _, _ in prepared
        ]
        pool = min(len(catalog), max(100, 10 * k))
        rows, scores = self.index.search(queries, pool, allowed, exclude)
        out = []
        for i, (pos, neg, query, profile) in enumerate(prepared):
            cand_rows, cand_scores, wider = rows[i], scores[i], pool
            # a wider pool when versions leave too few distinct songs
            while True:
                valid = cand_rows >= 0
                distinct = one_per_song(cand_rows[valid], catalog.version_codes)  # positions
                if len(distinct) >= k or wider >= len(catalog) or not valid.all():
                    break
                wider = min(len(catalog), wider * 4)
                r, s = self.index.search(query[None, :], wider, allowed, [exclude[i]])
                cand_rows, cand_scores = r[0], s[0]
            cand_rows, cand_scores = cand_rows[distinct], cand_scores[distinct]
            picked = select(
                cand_rows, cand_scores, k, catalog.artist_codes, artist_cap, mmr_lambda,
                self.index.similarity,
            )
            results = self._results(cand_rows[picked], cand_scores[picked], query, profile)
            notices = [n for n in (s.notice() for s in (*pos, *neg)) if n]
            if len(results) < k:
                notices.append(
                    f"only {len(results)} track{'s' if len(results) != 1 else ''} passed the "
                    f"filters (asked for {k})"
                )
            out.append(Recommendation(pos, neg, results, notices))
        return out

    # ---------------------------------------------------------------- internals
    def _prepare(self, seeds: Sequence[SeedLike], negatives: Sequence[SeedLike]):
        if isinstance(seeds, str | Seed):
            seeds = [seeds]
        if not seeds:
            raise InvalidArgumentError("give at least one seed")
        pos = [self.resolve(s) for s in seeds]
        neg = [self.resolve(s) for s in negatives]
        both = {r.track_id for r in pos} & {r.track_id for r in neg}
        if both:
            raise InvalidArgumentError(
                f"{', '.join(sorted(both))} is both a seed and a negative seed"
            )
        vectors = self.vectors
        if len(pos) == 1 and not neg:  # one seed: its own (unit) vector is the query
            row = pos[0].row
            return pos, neg, np.array(vectors[row], dtype=np.float32), self._raw[row].copy()
        pos_w = np.array([r.seed.weight for r in pos])
        query = (pos_w[:, None] * vectors[[r.row for r in pos]]).sum(0) / pos_w.sum()
        if neg:
            neg_w = np.array([r.seed.weight for r in neg])
            away = (neg_w[:, None] * vectors[[r.row for r in neg]]).sum(0) / neg_w.sum()
            query = query - NEGATIVE_STRENGTH * away
        norm = np.linalg.norm(query)
        query = (query / norm if norm > 0 else query).astype(np.float32)
        profile = seed_profile(self._raw[[r.row for r in pos]], pos_w, self.space.features_)
        return pos, neg, query, profile

    def _results(self, rows: np.ndarray, scores: np.ndarray, query, profile) -> list[Result]:
        reasons = explain(
            query, self.vectors[rows], self._raw[rows], profile, self.space.features_,
            self._spread,
        )
        c = self.catalog.column
        ids, names, albums = c("track_id"), c("name"), c("album")
        all_artists, all_genres, years, pops = c("artists"), c("genres"), c("year"), c("popularity")
        out = []
        for rank, (row, score, why) in enumerate(
            zip(rows.tolist(), scores.tolist(), reasons, strict=True), 1
        ):
            artists, genres = all_artists[row], all_genres[row]
            year, pop = years[row], pops[row]
            out.append(Result(
                rank=rank,
                track_id=str(ids[row]),
                name=names[row],
                artists=[] if artists is None else [str(a) for a in artists],
                album=albums[row],
                year=None if year is None else int(year),
                popularity=None if pop is None else int(pop),
                genres=[] if genres is None else [str(g) for g in genres],
                score=round(score, 4),
                why=why_text(why, score),
                reasons=why,
            ))
        return out


def _check_options(k: int, artist_cap: int | None, mmr_lambda: float) -> None:
    if not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
        raise InvalidArgumentError(f"k must be a whole number from 1 to {MAX_K} (got {k})")
    if artist_cap is not None and artist_cap < 1:
        raise InvalidArgumentError(f"artist cap must be at least 1 (got {artist_cap})")
    if not 0.0 <= mmr_lambda <= 1.0:
        raise InvalidArgumentError(f"MMR lambda must be between 0 and 1 (got {mmr_lambda})")
