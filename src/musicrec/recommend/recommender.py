"""The Recommender: the one API that the CLI, REST service and web page all call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from musicrec.errors import InvalidArgumentError, UnknownTrackError
from musicrec.features.space import feature_matrix
from musicrec.index import ExactIndex, Index
from musicrec.recommend.explain import Explainer, seed_profile, why_text
from musicrec.recommend.filters import Filters
from musicrec.recommend.rerank import in_order, one_per_song, select
from musicrec.recommend.results import Recommendation, Result
from musicrec.recommend.seeds import (
    ResolvedSeed,
    Seed,
    as_seed,
    is_track_id,
    resolve_seed,
    spotify_track_id,
)

if TYPE_CHECKING:
    from musicrec.artifact import Model

SeedLike = str | Seed

#: How strongly a negative seed pushes the query away (Rocchio's gamma).
NEGATIVE_STRENGTH = 0.5
MAX_K = 1000


class _Query(NamedTuple):
    """One seed set made ready to search."""

    pos: list[ResolvedSeed]
    neg: list[ResolvedSeed]
    vector: np.ndarray  # unit query vector
    profile: np.ndarray  # the seeds' feature values, for explanations
    row: int | None  # the catalog row when the query is that one track's own vector


class Recommender:
    """Recommends catalog tracks similar to seed tracks, with filters and reranking.

    Parameters
    ----------
    model : a built model (see :func:`musicrec.load_model`).
    index : nearest-neighbour backend; exact cosine search by default.
    """

    def __init__(
        self,
        model: Model,
        index: Index | None = None,
        *,
        extra: pd.DataFrame | None = None,
        lookup: Callable[[str], dict] | None = None,
    ) -> None:
        """``extra``: canonical rows of tracks outside the catalog (the user's table),
        usable as seeds and found by search. ``lookup(spotify_id)``: called for a Spotify
        track that is in neither; returns its canonical row with features (or raises
        UnknownTrackError saying why not)."""
        self.model = model
        self.catalog = model.catalog
        self.space = model.space
        self.vectors = np.asarray(model.vectors)  # plain view of the memmap: cheap indexing
        self.index = index if index is not None else ExactIndex(self.vectors, model.neighbours)
        self.lookup = lookup
        self._extra = pd.DataFrame()
        self._extra_rows: dict[str, int] = {}
        if extra is not None and len(extra):
            self.add_extra(extra)

    def add_extra(self, tracks: pd.DataFrame) -> None:
        """Make tracks from outside the catalog usable as seeds (embedded on the spot)."""
        from musicrec.data.schema import conform

        tracks = conform(tracks, "added")
        tracks = tracks[~tracks["track_id"].isin(list(self._extra_rows))]
        if not len(tracks):
            return
        frame = pd.concat([self._extra, tracks], ignore_index=True) if len(self._extra) else (
            tracks.reset_index(drop=True))
        self._extra = frame
        self._extra_vectors = self.space.transform(frame, context=self.catalog.tracks)
        self._extra_raw = feature_matrix(frame, self.space.features_)
        self._extra_rows = {str(t): i for i, t in enumerate(frame["track_id"])}

    @cached_property
    def _raw(self) -> np.ndarray:
        return feature_matrix(self.catalog.tracks, self.space.features_)

    @cached_property
    def _explainer(self) -> Explainer:
        return Explainer(self.space.features_, self.space.scale_)

    # ---------------------------------------------------------------- seeds
    def resolve(self, seed: SeedLike) -> ResolvedSeed:
        """The track a seed names: in the catalog, else among the added tracks, else (for
        a Spotify id or link) through ``lookup``. Raises UnknownTrackError with candidates."""
        seed = as_seed(seed)
        try:
            return resolve_seed(self.catalog, seed)
        except UnknownTrackError:
            query = seed.query.strip()
            track_id = spotify_track_id(query) or (query if is_track_id(query) else None)
            found = self._resolve_extra(seed, track_id, query)
            if found is not None:
                return found
            if track_id is None and self.lookup is not None and hasattr(self.lookup, "find"):
                track_id = self.lookup.find(query)  # e.g. a Spotify search for the text
                found = self._resolve_extra(seed, track_id, query) if track_id else None
                if found is not None:
                    return found
            if track_id is None or self.lookup is None:
                raise
        self.add_extra(pd.DataFrame([self.lookup(track_id)]))
        return self._resolve_extra(seed, track_id, query)

    def _resolve_extra(self, seed: Seed, track_id: str | None, query: str):
        from musicrec.data.text import fold

        i = self._extra_rows.get(track_id) if track_id else None
        if i is None and len(self._extra):
            titles = [fold(n) if isinstance(n, str) else "" for n in self._extra["name"]]
            i = next((j for j, t in enumerate(titles) if t and t == fold(query)), None)
        if i is None:
            return None
        row = self._extra.iloc[i]
        artists = row["artists"] if row["artists"] is not None else []
        label = f"{row['name'] if isinstance(row['name'], str) else '[untitled]'} - " + (
            ", ".join(artists) or "unknown artist")
        return ResolvedSeed(seed, -1, str(row["track_id"]), label, "added",
                            vector=self._extra_vectors[i], raw=self._extra_raw[i])

    def search(self, text: str, limit: int = 10) -> pd.DataFrame:
        """Tracks whose title or artist fit ``text``, best first (added tracks too)."""
        hits = self.catalog.search(text, limit)
        if not len(self._extra):
            return hits
        from rapidfuzz import fuzz

        from musicrec.data.text import fold

        query = fold(text)
        extra = self._extra.copy()
        extra["match"] = [
            100.0 if isinstance(n, str) and fold(n) == query else
            float(fuzz.WRatio(query, fold(f"{n or ''} {' '.join(a or [])}")))
            for n, a in zip(extra["name"], extra["artists"], strict=True)
        ]
        extra = extra[extra["match"] >= 80][["match", *hits.columns.drop("match")]]
        return pd.concat([extra, hits], ignore_index=True).sort_values(
            "match", ascending=False, kind="stable").head(limit).reset_index(drop=True)

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
        same_cluster: bool = False,
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
        same_cluster : only tracks in the song cluster of one of the seeds.
        """
        if isinstance(seeds, str | Seed):
            seeds = [seeds]
        return self.recommend_batch(
            [seeds], k, negatives=[negatives], filters=filters, artist_cap=artist_cap,
            mmr_lambda=mmr_lambda, same_cluster=same_cluster,
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
        same_cluster: bool = False,
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
        shared = (filters or Filters()).mask(catalog)
        allowed = [shared] * len(prepared)
        if same_cluster:
            allowed = [self._in_seed_clusters(q.pos, shared) for q in prepared]
        # the seeds, the negatives and every version of them never come back
        exclude = [self._excluded((*q.pos, *q.neg)) for q in prepared]
        pool = min(len(catalog), max(100, 10 * k))
        found = self._candidates(prepared, pool, allowed, exclude)
        out = []
        for i, (pos, neg, query, profile, _) in enumerate(prepared):
            (cand_rows, cand_scores), wider = found[i], pool
            while True:
                valid = cand_rows >= 0
                every_allowed = not valid.all()  # the pool already holds every allowed track
                if every_allowed:
                    cand_rows, cand_scores = cand_rows[valid], cand_scores[valid]
                picked, distinct = self._rerank(cand_rows, cand_scores, k, artist_cap, mmr_lambda)
                # a wider pool when versions leave too few distinct songs
                if distinct >= k or every_allowed or wider >= len(catalog):
                    break
                wider = min(len(catalog), wider * 4)
                r, s = self.index.search(query[None, :], wider, allowed[i], [exclude[i]])
                cand_rows, cand_scores = r[0], s[0]
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
    def _excluded(self, seeds) -> np.ndarray:
        """Catalog rows of the seeds and all their versions (also of added tracks)."""
        catalog = self.catalog
        rows = catalog.version_rows([r.row for r in seeds if not r.external])
        outside = [r for r in seeds if r.external]
        if not outside:
            return rows
        from musicrec.data.text import version_key

        keys = []
        for r in outside:
            track = self._extra.iloc[self._extra_rows[r.track_id]]
            name = track["name"] if isinstance(track["name"], str) else None
            artists = track["artists"] if isinstance(track["artists"], list) else None
            keys.append(version_key(name, artists))
        return np.unique(np.concatenate([rows, *(catalog.rows_with_version_key(k) for k in keys)]))

    def _in_seed_clusters(self, seeds: list[ResolvedSeed], allowed: np.ndarray | None):
        """``allowed`` narrowed to the song clusters of ``seeds``."""
        if self.model.clusters is None:
            raise InvalidArgumentError("this model has no clusters; rebuild it")
        songs = self.model.clusters.songs
        labels = songs.labels
        clusters = [labels[s.row] if not s.external else
                    int(songs.predict(s.raw[None, :])[0]) for s in seeds]
        mask = np.isin(labels, clusters)
        return mask if allowed is None else mask & allowed

    def _candidates(
        self, prepared: list[_Query], pool: int, allowed: list[np.ndarray | None],
        exclude: list[np.ndarray],
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The best ``pool`` candidates per query: one-track queries through
        ``search_row`` (a backend may answer them without a scan), the rest in one batch."""
        found: list = [None] * len(prepared)
        scan = []
        for i, q in enumerate(prepared):
            if q.row is None:
                scan.append(i)
            else:
                found[i] = self.index.search_row(q.row, pool, allowed[i], exclude[i])
        if scan:
            masks = [allowed[i] for i in scan]
            if all(m is masks[0] for m in masks):
                mask = masks[0]  # one mask for the whole batch
            else:
                n = len(self.catalog)
                mask = np.stack([np.ones(n, dtype=bool) if m is None else m for m in masks])
            rows, scores = self.index.search(
                np.stack([prepared[i].vector for i in scan]), pool, mask,
                [exclude[i] for i in scan],
            )
            for j, i in enumerate(scan):
                found[i] = rows[j], scores[j]
        return found

    def _prepare(self, seeds: Sequence[SeedLike], negatives: Sequence[SeedLike]) -> _Query:
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
        if len(pos) == 1 and not neg and not pos[0].external:  # its own vector is the query
            row = pos[0].row
            return _Query(pos, neg, np.array(vectors[row], dtype=np.float32), self._raw[row], row)
        pos_w = np.array([r.seed.weight for r in pos])
        query = (pos_w[:, None] * self._seed_vectors(pos)).sum(0) / pos_w.sum()
        if neg:
            neg_w = np.array([r.seed.weight for r in neg])
            away = (neg_w[:, None] * self._seed_vectors(neg)).sum(0) / neg_w.sum()
            query = query - NEGATIVE_STRENGTH * away
        norm = np.linalg.norm(query)
        query = (query / norm if norm > 0 else query).astype(np.float32)
        raw = np.stack([r.raw if r.external else self._raw[r.row] for r in pos])
        profile = seed_profile(raw, pos_w, self.space.features_)
        return _Query(pos, neg, query, profile, None)

    def _seed_vectors(self, seeds: list[ResolvedSeed]) -> np.ndarray:
        return np.stack([r.vector if r.external else self.vectors[r.row] for r in seeds])

    def _rerank(
        self, rows: np.ndarray, scores: np.ndarray, k: int, artist_cap: int | None,
        mmr_lambda: float,
    ) -> tuple[np.ndarray, int]:
        """Positions of the k tracks to show (one per song, artist cap, MMR), and how many
        distinct songs the candidates hold (at least k when they were enough)."""
        catalog = self.catalog
        if mmr_lambda >= 1.0:
            picked, distinct = in_order(
                rows, k, catalog.version_codes, catalog.artist_codes, artist_cap
            )
            return np.asarray(picked, dtype=np.int64), distinct
        songs = one_per_song(rows, catalog.version_codes)
        picked = select(
            rows[songs], scores[songs], k, catalog.artist_codes, artist_cap, mmr_lambda,
            self.index.similarity,
        )
        return songs[picked], len(songs)

    def _results(self, rows: np.ndarray, scores: np.ndarray, query, profile) -> list[Result]:
        d = len(self.space.features_)  # explanations read the audio-feature columns only
        reasons = self._explainer.explain(
            query[:d], self.vectors[rows[:, None], np.arange(d)], self._raw[rows], profile
        )
        ids, names, albums, all_artists, all_genres, years, pops = self._result_columns
        clusters = self._cluster_labels
        return [
            Result(
                rank=rank,
                track_id=ids[row],
                name=names[row],
                artists=[] if all_artists[row] is None else list(all_artists[row]),
                album=albums[row],
                year=years[row],
                popularity=pops[row],
                genres=[] if all_genres[row] is None else list(all_genres[row]),
                score=round(score, 4),
                why=why_text(why, score),
                reasons=why,
                cluster=None if clusters is None else clusters[row],
            )
            for rank, (row, score, why) in enumerate(
                zip(rows.tolist(), scores.tolist(), reasons, strict=True), 1
            )
        ]

    @cached_property
    def _cluster_labels(self) -> list[int] | None:
        clusters = self.model.clusters
        return None if clusters is None else clusters.songs.labels.tolist()

    @cached_property
    def _result_columns(self) -> tuple[list, ...]:
        """The catalog columns a Result shows, as Python lists of Python values."""
        c = self.catalog.column
        ids = [str(v) for v in c("track_id")]
        whole = [[None if v is None else int(v) for v in c(n)] for n in ("year", "popularity")]
        return ids, *(c(n).tolist() for n in ("name", "album", "artists", "genres")), *whole


def _check_options(k: int, artist_cap: int | None, mmr_lambda: float) -> None:
    if not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
        raise InvalidArgumentError(f"k must be a whole number from 1 to {MAX_K} (got {k})")
    if artist_cap is not None and artist_cap < 1:
        raise InvalidArgumentError(f"artist cap must be at least 1 (got {artist_cap})")
    if not 0.0 <= mmr_lambda <= 1.0:
        raise InvalidArgumentError(f"MMR lambda must be between 0 and 1 (got {mmr_lambda})")
