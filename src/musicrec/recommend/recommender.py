"""The Recommender: the one API that the CLI, REST service, web page and evaluation call."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import PurePath, PureWindowsPath
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from musicrec.data.catalog import WHOLE_COLUMNS_UP_TO
from musicrec.data.schema import feature_matrix
from musicrec.errors import InvalidArgumentError, MusicrecError, UnknownTrackError
from musicrec.index import Allowed, Index, RowMask
from musicrec.recommend.explain import Explainer, seed_profile, why_text
from musicrec.recommend.filters import Filters
from musicrec.recommend.request import (
    DEFAULTS,
    PATH_STEP_LIMITS,
    PATH_STEPS,
    RecommendRequest,
    SeedLike,
)
from musicrec.recommend.rerank import Candidates, RerankStep, apply_steps, steps_for
from musicrec.recommend.results import Recommendation, Result
from musicrec.recommend.seeds import (
    ResolvedSeed,
    Seed,
    as_seed,
    is_track_id,
    resolve_ids,
    resolve_seed,
    spotify_track_id,
)

if TYPE_CHECKING:
    from musicrec.model.store import Model
    from musicrec.playlists import PlaylistEntry

#: How strongly a negative seed pushes the query away (Rocchio's gamma).
NEGATIVE_STRENGTH = 0.5
#: Candidates fetched before reranking: at least this many, or 10 per track asked for.
MIN_POOL = 100
#: Masks of the most recently used filters kept per Recommender (see _filter_mask).
FILTER_MASKS = 16
#: Candidates one request asks for first, per track asked for (see _first_fetch).
FIRST_FETCH = 3
#: A result's factors this close to the seeds' (cosine) earn the listening reason.
LISTENING_REASON = 0.3


class _Query(NamedTuple):
    """One request made ready to search."""

    request: RecommendRequest
    pos: list[ResolvedSeed]
    neg: list[ResolvedSeed]
    vector: np.ndarray  # unit query vector
    profile: np.ndarray  # the seeds' feature values, for explanations
    row: int | None  # the catalog row when the query is that one track's own vector
    allowed: Allowed
    exclude: np.ndarray


class Recommender:
    """Recommends catalog tracks similar to seed tracks, with filters and reranking.

    Parameters
    ----------
    model : a built model (see :func:`musicrec.load_model`).
    index : nearest-neighbour backend; the model's own by default.
    extra : canonical rows of tracks outside the catalog (the user's table), usable as
        seeds and found by search.
    lookup : ``lookup(spotify_id)`` returns the canonical row (with features) of a
        Spotify track in neither (or raises UnknownTrackError saying why not); it may
        have ``find(text)`` (a Spotify search) and a list of ``notes`` for the user.
    extra_steps : rerank steps run after the standard ones (see
        :mod:`musicrec.recommend.rerank`).
    """

    def __init__(
        self,
        model: Model,
        index: Index | None = None,
        *,
        extra: pd.DataFrame | None = None,
        lookup: Callable[[str], dict] | None = None,
        extra_steps: Sequence[RerankStep] = (),
    ) -> None:
        self.model = model
        self.catalog = model.catalog
        self.space = model.space
        self.vectors = np.asarray(model.vectors)  # plain view of the memmap: cheap indexing
        self.index = index if index is not None else model.index
        self.lookup = lookup
        self.extra_steps = list(extra_steps)
        self._extra = pd.DataFrame()
        self._extra_rows: dict[str, int] = {}
        self._masks: OrderedDict[str, RowMask | None] = OrderedDict()  # recent filters
        self._masks_lock = threading.Lock()  # the REST service asks from several threads
        collab = getattr(self.space, "collab_", None)
        #: rows a purely collaborative model can recommend (those it has factors for)
        self._warm_mask = (collab.warm(self.catalog.column("track_id").astype(str).tolist())
                           if collab is not None and collab.warm_only else None)
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

    def _raw(self, rows) -> np.ndarray:
        """Raw feature values of catalog rows (for explanations): from one matrix of the
        whole catalog when it is small, from just those rows above
        ``WHOLE_COLUMNS_UP_TO`` (a million-row matrix is not worth a first query)."""
        if len(self.catalog) <= WHOLE_COLUMNS_UP_TO:
            return self._raw_all[rows]
        # the catalog's float64 columns (converted once each), read at these rows
        columns = self._raw_columns
        if isinstance(rows, int | np.integer):
            return np.array([column[rows] for column in columns])
        rows = np.asarray(rows, dtype=np.intp)
        out = np.empty((len(columns), len(rows)))
        for j, column in enumerate(columns):
            out[j] = column[rows]
        return out.T

    @cached_property
    def _raw_columns(self) -> list[np.ndarray]:
        return [self.catalog.numeric(f) for f in self.space.features_]

    @cached_property
    def _raw_all(self) -> np.ndarray:
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
            track_id = spotify_track_id(query) or (
                query if is_track_id(query) or query in self._extra_rows else None)
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

    def _resolve_all(self, seeds) -> list[ResolvedSeed]:
        """:meth:`resolve` of several seeds: the catalog ids among them together."""
        if not seeds:
            return []
        seeds = [as_seed(s) for s in seeds]
        found = resolve_ids(self.catalog, seeds)
        return [f if f is not None else self.resolve(s)
                for f, s in zip(found, seeds, strict=True)]

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

    def _lookup_notes(self) -> list[str]:
        """What the outside-track lookup has to tell the user since it was last asked."""
        notes = getattr(self.lookup, "notes", None)
        if not notes:
            return []
        taken = list(notes)
        notes.clear()
        return taken

    def search(self, text: str | None, limit: int = 10, tags: list[str] | None = None
               ) -> pd.DataFrame:
        """Tracks whose title or artist fit ``text``, best first (added tracks too); with
        ``tags``, catalog tracks carrying one of them (see :meth:`Catalog.search`)."""
        from musicrec.recommend.seeds import MAX_QUERY

        text = text or ""
        if len(text) > MAX_QUERY:
            raise InvalidArgumentError(
                f"search text is at most {MAX_QUERY} characters (got {len(text):,})")
        hits = self.catalog.search(text, limit, tags=tags)
        if not len(self._extra) or tags:
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
        self, seeds: RecommendRequest | Sequence[SeedLike] | SeedLike, k: int = 10,
        **options,
    ) -> Recommendation:
        """Tracks like the seeds, best first.

        Give a :class:`RecommendRequest`, or its seeds with its other fields as keywords
        (``negatives``, ``filters``, ``artist_cap``, ``diversity``, ``same_cluster``).
        """
        if isinstance(seeds, RecommendRequest):
            if options:
                raise InvalidArgumentError("give either a RecommendRequest or options")
            return self.recommend_batch([seeds])[0]
        return self.recommend_batch([RecommendRequest(seeds, k=k, **options)])[0]

    def extend_playlist(self, entries: Sequence[PlaylistEntry], k: int = 10,
                        name: str = "the playlist", **options) -> Recommendation:
        """Tracks to add to a playlist the user has (see :mod:`musicrec.playlists`).

        Its entries are matched to the catalog by id, else by folded title and artist
        (or as a version of a catalog song), else, for a title without an artist, as a
        seed text; every matched track is a seed, and no track of the playlist (nor a
        version of one) comes back. The answer's notices say how many matched and which
        did not. ``options`` are the other request fields (``filters``, ``artist_cap``,
        ...).
        """
        from musicrec.data.text import fold
        from musicrec.recommend.request import RecommendRequest

        ids = self.catalog.column("track_id")
        matched: list[str] = []
        missed: list[str] = []
        for entry in entries:
            row = self.catalog.index_of(entry.track_id) if entry.track_id else None
            if row is None and entry.location:  # a song of your own files, by its path
                row = self._location_rows.get(entry.location)
                if row is None:
                    row = self._location_rows.get(_file_name(entry.location))
            if row is None and entry.title and entry.artist:
                row, _ = self._title_artist.find(entry.title, fold(entry.artist))
            if row is None and entry.title and not entry.artist:
                try:
                    found = self.catalog.match_text(entry.title)
                    row = found.rows[0] if found.how != "fuzzy" else None
                except MusicrecError:
                    row = None
            if row is None:
                missed.append(entry.label)
            else:
                matched.append(str(ids[row]))
        matched = list(dict.fromkeys(matched))
        if not matched:
            raise UnknownTrackError(
                name, reason=f"none of the {len(entries):,} tracks of {name} is in the "
                f"catalog (first: {', '.join(missed[:3])})")
        answer = self.recommend(RecommendRequest(matched, k=k, **options))
        notes = [f"{len(entries) - len(missed):,} of the {len(entries):,} tracks of {name} "
                 "are in the catalog and were used as seeds"]
        if missed:
            shown = "; ".join(missed[:5]) + (f"; and {len(missed) - 5:,} more"
                                             if len(missed) > 5 else "")
            notes.append(f"not in the catalog: {shown}")
        answer.notices[:0] = notes
        return answer

    @cached_property
    def _title_artist(self):
        from musicrec.data.interactions.matching import TitleArtistIndex

        return TitleArtistIndex(self.catalog)

    def path(self, start: SeedLike, end: SeedLike, steps: int = PATH_STEPS, *,
             filters: Filters | None = None,
             artist_cap: int = int(DEFAULTS["artist_cap"])) -> Recommendation:
        """A path of catalog tracks from ``start`` to ``end`` in ``steps`` small steps
        (``steps + 1`` tracks, both ends included), each step a real track that passes
        ``filters``: no track twice, no two versions of a song, at most ``artist_cap``
        tracks per artist (0: no cap). See :mod:`musicrec.recommend.path`. A result's
        score is its cosine similarity to the track before it."""
        from musicrec.recommend.path import song_path

        low, high = PATH_STEP_LIMITS
        if not isinstance(steps, int) or not low <= steps <= high:
            raise InvalidArgumentError(f"steps must be a whole number from {low} to {high} "
                                       f"(got {steps})")
        request = RecommendRequest([start, end], artist_cap=artist_cap,
                                   filters=filters or Filters())
        ends = [self.resolve(s) for s in request.seeds]
        outside = [r.label for r in ends if r.external]
        if outside:
            raise InvalidArgumentError(f"a path runs between tracks of the catalog; "
                                       f"{', '.join(outside)} is not one")
        first, last = ends
        codes = self.catalog.version_codes
        if codes[first.row] == codes[last.row]:
            raise InvalidArgumentError(f"{first.label} and {last.label} are the same song: "
                                       "give two different songs")
        allowed = self._filter_mask(request.filters)
        exclude = self._excluded(ends)
        artists = self.catalog.artist_codes
        between = song_path(
            self.vectors[first.row], self.vectors[last.row], steps, self.vectors,
            lambda points, k: self.index.search(points, k, allowed,
                                                [exclude] * len(points)),
            codes, artists, request.cap, [int(artists[first.row]), int(artists[last.row])])
        rows = [first.row, *between, last.row]
        vectors = self.vectors[rows]
        scores = [1.0, *np.einsum("ij,ij->i", vectors[1:], vectors[:-1]).tolist()]
        clusters = self._cluster_labels
        results = []
        for i, (row, record, score) in enumerate(
                zip(rows, self.catalog.record_values(rows), scores, strict=True)):
            why = ("the start" if i == 0 else
                   f"the end; {score:.2f} like the track before" if i == len(rows) - 1 else
                   f"step {i} of {len(rows) - 1}; {score:.2f} like the track before")
            results.append(Result(i + 1, *record, round(score, 4), why, [], clusters[row]))
        notices = [n for n in (r.notice() for r in ends) if n]
        if len(rows) - 1 < steps:
            notices.append(f"only {len(rows) - 1} steps could be made (asked for {steps}): "
                           "the filters or the artist cap left too few tracks between them")
        return Recommendation(ends, [], results, notices)

    def similar(self, track_id: str, k: int = 10, **options) -> Recommendation:
        """Tracks similar to one catalog track, by id."""
        return self.recommend([track_id], k, **options)

    def recommend_batch(
        self,
        requests: Sequence[RecommendRequest | Sequence[SeedLike]],
        k: int = 10,
        *,
        allowed_rows: np.ndarray | None = None,
        exclude_rows: Sequence[np.ndarray] | None = None,
        **options,
    ) -> list[Recommendation]:
        """Answer several requests in one call (one matrix product for all scans).

        Plain seed lists become requests with ``k`` and ``options``. ``allowed_rows``
        (catalog rows, shared by all) and ``exclude_rows`` (one array per request) narrow
        the candidates further; evaluation uses them for its splits.
        """
        requests = [r if isinstance(r, RecommendRequest) else RecommendRequest(r, k=k, **options)
                    for r in requests]
        if exclude_rows is not None and len(exclude_rows) != len(requests):
            raise InvalidArgumentError("give one array of excluded rows per request")
        allowed_mask = None
        if allowed_rows is not None:
            allowed_mask = np.zeros(len(self.catalog), dtype=bool)
            allowed_mask[np.asarray(allowed_rows, dtype=np.int64)] = True
        masks: dict[str, RowMask | None] = {}
        queries = []
        for i, request in enumerate(requests):
            try:
                query = self._prepare(request, allowed_mask, masks)
            except MusicrecError as exc:
                exc.notices = [*self._lookup_notes(), *getattr(exc, "notices", [])]
                raise
            if exclude_rows is not None:
                query = query._replace(exclude=np.union1d(query.exclude, exclude_rows[i]))
            queries.append(query)
        if not queries:
            return []
        pools = [min(len(self.catalog), max(MIN_POOL, 10 * q.request.k)) for q in queries]
        # one request (the commonest call) first asks for a few candidates, when its
        # rerank steps allow (see _answer); a batch asks for the whole pool at once
        fetch = self._first_fetch(queries[0], pools[0]) if len(queries) == 1 else max(pools)
        found = self._candidates(queries, fetch)
        notes = self._lookup_notes()
        return [self._answer(q, found[i], pools[i], notes) for i, q in enumerate(queries)]

    # ---------------------------------------------------------------- internals
    def _answer(self, query: _Query, found, pool: int, notes: list[str]) -> Recommendation:
        request = query.request
        k = request.k
        if not query.vector.any():  # a collaborative model that knows none of the seeds
            return Recommendation(query.pos, query.neg, [], [
                *notes, f"none of the seeds is in the listening data the '{self.model.kind}' "
                "model learned from, so it has nothing to go on (the hybrid and style models "
                "place any track)"])
        steps = self._steps(request)
        rows, scores = found[0][:pool], found[1][:pool]
        fetched = len(rows)
        while True:
            valid = int(np.count_nonzero(rows >= 0))  # rows of -1 only fill the tail
            exhausted = valid < len(rows) or fetched >= len(self.catalog)
            rows, scores = rows[:valid], scores[:valid]
            chosen = apply_steps(Candidates(rows, scores, valid), steps, k)
            if fetched < pool and not exhausted and chosen.preferred < k:
                fetched = pool  # the first few were not enough: the whole pool, as if
                # asked for at first (prefix-stable steps: the same answer)
            elif len(chosen) >= k or exhausted:
                break
            else:  # a wider pool when versions left too few distinct songs
                fetched = min(len(self.catalog), fetched * 4)
            r, s = self.index.search(query.vector[None, :], fetched, query.allowed,
                                     [query.exclude])
            rows, scores = r[0], s[0]
        chosen = chosen.top(k)
        results = self._results(chosen.rows, chosen.scores, query.vector, query.profile,
                                query.pos)
        notices = list(dict.fromkeys(
            [*notes, *(n for n in (s.notice() for s in (*query.pos, *query.neg)) if n)]))
        if len(results) < k:
            notices.append(
                f"only {len(results)} track{'s' if len(results) != 1 else ''} passed the "
                f"filters (asked for {k})"
            )
        return Recommendation(query.pos, query.neg, results, notices)

    def _first_fetch(self, query: _Query, pool: int) -> int:
        """How many candidates one unfiltered request asks the index for first:
        ``FIRST_FETCH`` per track asked for when every rerank step is prefix-stable (its
        answer on the first candidates is its answer on all of them once they give k
        preferred ones), else the whole pool. A graph index searches fewer candidates
        faster, and most requests need no more. (Measured at a million tracks: a
        filtered HNSW search for 30 had recall@10 0.947 against 0.985 for 100.)"""
        if query.allowed is not None:  # a filtered graph search is surer with the pool
            return pool  # (and its fallback to an exact scan then more often exact)
        steps = self._steps(query.request)
        if all(getattr(s, "prefix_stable", False) for s in steps):
            return min(pool, FIRST_FETCH * query.request.k)
        return pool

    def _steps(self, request: RecommendRequest) -> list[RerankStep]:
        """The rerank chain for a request's settings (kept per setting), then the extra
        steps."""
        key = (request.cap, request.diversity)
        cache = self.__dict__.setdefault("_chains", {})
        if key not in cache:
            cache[key] = [*steps_for(request, self.catalog.version_codes,
                                     self.catalog.artist_codes, self.vectors),
                          *self.extra_steps]
        return cache[key]

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
            keys.append(version_key(name, track["artists"]))
        return np.unique(np.concatenate([rows, *(catalog.rows_with_version_key(k) for k in keys)]))

    def _allowed(self, request: RecommendRequest, pos: list[ResolvedSeed],
                 allowed_mask: np.ndarray | None, masks: dict) -> Allowed:
        """Which rows may come back: filters, the seeds' clusters, ``allowed_mask``.
        Requests with the same filters share one restriction object (one scan mask)."""
        key = "" if request.filters.is_empty() else repr(request.filters)
        if key not in masks:
            masks[key] = (self._filter_mask(request.filters) if allowed_mask is None
                          else self._restriction(request.filters, allowed_mask))
        shared = masks[key]
        if not request.same_cluster:
            return shared
        songs = self.model.clusters.songs
        labels = songs.labels
        clusters = [labels[s.row] if not s.external else
                    int(songs.predict(s.raw[None, :])[0]) for s in pos]
        mask = np.isin(labels, clusters)
        return RowMask(mask if shared is None else mask & shared.mask)

    def _restriction(self, filters, allowed_mask: np.ndarray | None) -> RowMask | None:
        """The rows ``filters`` (and ``allowed_mask``, and a collaborative model's known
        tracks) let through, or None for all."""
        mask = filters.mask(self.catalog)
        for also in (allowed_mask, self._warm_mask):
            if also is not None:
                mask = also if mask is None else mask & also
        return None if mask is None else RowMask(mask)

    def _filter_mask(self, filters) -> RowMask | None:
        """:meth:`_restriction` of ``filters``, kept for the ``FILTER_MASKS`` filters used
        last: a mask over a million rows (and the bits an approximate index searches
        with) costs a few milliseconds to make, and people repeat filters."""
        if filters.is_empty():
            return self._restriction(filters, None)
        key = repr(filters)
        with self._masks_lock:
            kept = self._masks.get(key)
            if kept is not None:
                self._masks.move_to_end(key)
                return kept
        made = self._restriction(filters, None)
        with self._masks_lock:
            self._masks[key] = made
            while len(self._masks) > FILTER_MASKS:
                self._masks.popitem(last=False)
        return made

    def _candidates(self, queries: list[_Query], pool: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The best ``pool`` candidates per query: one-track queries through
        ``search_rows`` (a backend may answer them without a scan), the rest in one batch."""
        if len(queries) == 1:  # the commonest call: no grouping
            q = queries[0]
            exclude = [q.exclude]
            rows, scores = (self.index.search_rows([q.row], pool, q.allowed, exclude)
                            if q.row is not None else
                            self.index.search(q.vector[None, :], pool, q.allowed, exclude))
            return [(rows[0], scores[0])]
        found: list = [None] * len(queries)
        for group, by_row in (([i for i, q in enumerate(queries) if q.row is not None], True),
                              ([i for i, q in enumerate(queries) if q.row is None], False)):
            if not group:
                continue
            allowed = [queries[i].allowed for i in group]
            if all(a is allowed[0] for a in allowed):
                allowed = allowed[0]
            exclude = [queries[i].exclude for i in group]
            if by_row:
                rows, scores = self.index.search_rows(
                    [queries[i].row for i in group], pool, allowed, exclude)
            else:
                rows, scores = self.index.search(
                    np.stack([queries[i].vector for i in group]), pool, allowed, exclude)
            for j, i in enumerate(group):
                found[i] = rows[j], scores[j]
        return found

    def _prepare(self, request: RecommendRequest, allowed_mask, masks) -> _Query:
        pos, neg = self._resolve_all(request.seeds), self._resolve_all(request.negatives)
        both = {r.track_id for r in pos} & {r.track_id for r in neg}
        if both:
            raise InvalidArgumentError(
                f"{', '.join(sorted(both))} is both a seed and a negative seed"
            )
        allowed = self._allowed(request, pos, allowed_mask, masks)
        exclude = self._excluded((*pos, *neg))  # the seeds and every version of them
        if len(pos) == 1 and not neg and not pos[0].external:  # its own vector is the query
            row = pos[0].row
            return _Query(request, pos, neg, self.index.vectors_at([row])[0],
                          self._raw(row), row, allowed, exclude)
        pos_w = np.array([r.seed.weight for r in pos])
        query = pos_w @ self._seed_vectors(pos) / pos_w.sum()  # the weighted mean
        if neg:
            neg_w = np.array([r.seed.weight for r in neg])
            away = neg_w @ self._seed_vectors(neg) / neg_w.sum()
            query = query - NEGATIVE_STRENGTH * away
        norm = float(np.sqrt(query @ query))
        query = (query / norm if norm > 0 else query).astype(np.float32)
        raw = (self._raw([r.row for r in pos]) if not any(r.external for r in pos) else
               np.stack([r.raw if r.external else self._raw(r.row) for r in pos]))
        profile = seed_profile(raw, pos_w, self.space.features_)
        return _Query(request, pos, neg, query, profile, None, allowed, exclude)

    def _seed_vectors(self, seeds: list[ResolvedSeed]) -> np.ndarray:
        if not any(r.external for r in seeds):  # one gather of the catalog's rows
            return self.index.vectors_at([r.row for r in seeds])
        return np.stack([r.vector if r.external else self.vectors[r.row] for r in seeds])

    def _results(self, rows: np.ndarray, scores: np.ndarray, query, profile, seeds=()
                 ) -> list[Result]:
        d = len(self.space.features_)  # explanations read the audio-feature columns only
        reasons = self._explainer.explain(
            query[:d], self.index.vectors_at(rows)[:, :d], self._raw(rows), profile
        )
        if self.space.collab_ is not None:
            self._listening_reasons(rows, query, reasons)
        if self.estimated:
            from musicrec.recommend.explain import mark_estimates

            for why in reasons:
                mark_estimates(why, self.estimated)
        rows = rows.tolist()
        self._tag_reasons(rows, seeds, reasons)
        clusters = self._cluster_labels
        return [  # Result's fields after rank are the catalog's record fields, in order
            Result(rank, *record, round(score, 4), why_text(why, score), why, clusters[row])
            for rank, (row, record, score, why) in enumerate(
                zip(rows, self.catalog.record_values(rows), scores.tolist(), reasons,
                    strict=True), 1
            )
        ]

    def _tag_reasons(self, rows: list[int], seeds, reasons) -> None:
        """A reason for the tags a track shares with the seeds ("tags: mellow, acoustic"),
        in the track's order (most likely first), when the catalog has tags."""
        seed_rows = [s.row for s in seeds if not s.external and s.row is not None]
        if not seed_rows or not self.catalog.tag_names:
            return
        from musicrec.recommend.explain import tag_reason

        wanted = {t for tags in self.catalog.cells("tags", seed_rows) for t in tags or ()}
        if not wanted:
            return
        for why, tags in zip(reasons, self.catalog.cells("tags", rows), strict=True):
            shared = [t for t in tags or () if t in wanted]
            if shared:
                why.append(tag_reason(shared, len(tags)))

    def _listening_reasons(self, rows: np.ndarray, query: np.ndarray, reasons) -> None:
        """A reason first where listening data put the track near the seeds: the cosine
        of its factors to the seeds' (always for a purely collaborative model)."""
        from musicrec.recommend.explain import listening_reason, sound_reason

        block = self.space.collab_
        reason = sound_reason if block.method == "audio" else listening_reason
        start = self.space.dims_ - block.dims
        q = query[start:]
        qn = float(np.linalg.norm(q))
        if qn == 0:
            return
        factors = self.vectors[rows, start:]
        norms = np.linalg.norm(factors, axis=1)
        cosine = np.divide(factors @ q, norms * qn, out=np.zeros(len(rows)), where=norms > 0)
        floor = -1.0 if block.warm_only else LISTENING_REASON
        for i, value in enumerate(cosine.tolist()):
            if norms[i] > 0 and value >= floor:
                reasons[i].insert(0, reason(value))

    @cached_property
    def _location_rows(self) -> dict[str, int]:
        """Rows by file path, and by file name where only one track has it (a playlist
        written on another machine or with relative paths), for catalogs of files."""
        if "location" not in self.catalog.tracks.columns:
            return {}
        paths = self.catalog.column("location")
        by_path = {p: row for row, p in enumerate(paths) if isinstance(p, str) and p}
        names: dict[str, list[int]] = {}
        for path, row in by_path.items():
            names.setdefault(_file_name(path), []).append(row)
        return {**{n: rows[0] for n, rows in names.items() if len(rows) == 1}, **by_path}

    @cached_property
    def estimated(self) -> frozenset[str]:
        """Descriptors this model's catalog holds as estimates from audio (a scanned
        library), which explanations say are estimated."""
        return frozenset(self.model.manifest.get("estimated_features", ()))

    @cached_property
    def _cluster_labels(self) -> list[int]:
        return self.model.clusters.songs.labels.tolist()


def _file_name(path: str) -> str:
    """The last part of a POSIX or Windows path."""
    return PureWindowsPath(path).name if "\\" in path else PurePath(path).name
