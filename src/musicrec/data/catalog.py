"""The Catalog: the canonical track table plus the lookups recommendation needs.

Lookups (id to row, title to rows, versions, artists, genres) are built lazily from
columns (and the version and artist codes are stored with the tracks), so opening a
catalog costs one memory-mapped Arrow read, even at a million tracks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from musicrec.data.ids import normalise_track_id
from musicrec.data.importers.common import ImportResult
from musicrec.data.keys import SCANS_BEFORE_INDEX, KeyLookup
from musicrec.data.schema import empty_interactions
from musicrec.data.text import base_title, fold, primary_artist, shorten, version_key
from musicrec.errors import InvalidArgumentError, UnknownGenreError, UnknownTrackError

#: Catalogs up to this size convert whole columns to Python values once, for the fastest
#: per-row reads; larger ones read the rows asked for (a million-row column takes
#: seconds to convert, more than a first query should wait).
WHOLE_COLUMNS_UP_TO = 50_000
#: Columns of whole numbers, read from their numeric column by :meth:`Catalog._row_reader`.
_WHOLE_NUMBERS = frozenset({"year", "popularity", "duration_ms"})
#: Minimum rapidfuzz similarity (0-100) for a fuzzy title to be taken as a seed.
FUZZY_ACCEPT = 88.0
#: A fuzzy match below FUZZY_ACCEPT is still taken when it scores at least FUZZY_LEAD and
#: leads every other song by LEAD_MARGIN points.
FUZZY_LEAD = 70.0
LEAD_MARGIN = 12.0
#: Partial matches (a title's first words) count a little less than whole ones.
LEAD_WEIGHT = 0.9


def primary_artist_codes(artists: pd.Series) -> np.ndarray:
    """Integer code of each row's primary artist (see :func:`primary_artist`); a row
    without artists gets a code of its own."""
    return _codes(np.array([primary_artist(a) for a in artists], dtype=object))


def _codes(keys: np.ndarray) -> np.ndarray:
    """An integer per distinct key; each missing key gets a code of its own."""
    codes, _ = pd.factorize(keys, use_na_sentinel=True)
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    return codes.astype(np.int64)


@dataclass
class TextMatch:
    """The tracks a free-text query fits: the one taken first, then the alternatives."""

    rows: list[int]
    how: str  # "exact", "title-artist", "version", "fuzzy"
    score: float = 100.0
    alternatives: list[int] = field(default_factory=list)


class Catalog:
    """Tracks (canonical table) with playlist memberships and fast lookups."""

    def __init__(
        self,
        tracks: pd.DataFrame,
        interactions: pd.DataFrame | None = None,
        playlists: pd.DataFrame | None = None,
        *,
        ids_checked: bool = False,
        embeddings: np.ndarray | None = None,
        tagger: np.ndarray | None = None,
    ) -> None:
        # a model's table was checked when it was built (and its file against the
        # manifest since): hashing a million ids again would cost a start 0.3-0.7 s
        if not ids_checked and tracks["track_id"].duplicated().any():
            dup = tracks.loc[tracks["track_id"].duplicated(), "track_id"].iloc[0]
            raise InvalidArgumentError(f"track id '{dup}' appears more than once in the catalog")
        tracks = tracks.copy(deep=False)  # columns added below stay ours; data is shared
        tracks.index = pd.RangeIndex(len(tracks))
        if "tags" not in tracks.columns:  # a table from before the column existed
            tracks["tags"] = pd.Series([None] * len(tracks), dtype=object)
        if "version_key" not in tracks.columns:
            tracks["version_key"] = pd.array(
                [version_key(n, a) if isinstance(n, str) else None
                 for n, a in zip(tracks["name"], tracks["artists"], strict=True)],
                dtype="string",
            )
        if "title_key" not in tracks.columns:
            tracks["title_key"] = pd.array(
                [fold(n) if isinstance(n, str) else None for n in tracks["name"]], dtype="string"
            )
        if "base_key" not in tracks.columns:  # the version key's title part
            keys = tracks["version_key"].to_numpy(dtype=object, na_value=None)
            tracks["base_key"] = pd.array([k.split("|", 1)[0] if isinstance(k, str) else None
                                           for k in keys], dtype="string")
        if "version_code" not in tracks.columns:
            tracks["version_code"] = _codes(tracks["version_key"].to_numpy(dtype=object,
                                                                          na_value=None))
        if "artist_code" not in tracks.columns:
            tracks["artist_code"] = primary_artist_codes(tracks["artists"])
        self.tracks = tracks
        self.interactions = interactions if interactions is not None else empty_interactions()
        self.playlists = playlists
        if embeddings is not None and len(embeddings) != len(tracks):
            raise InvalidArgumentError(f"{len(embeddings)} audio embeddings for "
                                       f"{len(tracks)} tracks")
        #: (n, d) audio embeddings of a library scanned from files (None otherwise); read
        #: by the 'audio' model kind when it is built, not kept in the model
        self.embeddings = embeddings
        if tagger is not None and len(tagger) != len(tracks):
            raise InvalidArgumentError(f"{len(tagger)} tagger outputs for {len(tracks)} tracks")
        #: (n, 50 + 200) the pretrained tagger's tag probabilities and embedding per song
        #: of a scanned library (NaN rows: not tagged; None: no tagger); read at build
        self.tagger = tagger

    @classmethod
    def from_import(cls, result: ImportResult) -> Catalog:
        """A catalog from an importer's result."""
        return cls(result.tracks, result.interactions, result.playlists,
                   embeddings=result.embeddings, tagger=result.tagger)

    def __len__(self) -> int:
        return len(self.tracks)

    # ------------------------------------------------------------------ lookups
    @cached_property
    def _ids(self) -> KeyLookup:
        return KeyLookup(self.tracks["track_id"])

    def index_of(self, track_id: str) -> int | None:
        """Row of ``track_id`` (a bare id, or a Spotify URI or URL), or None when the
        catalog does not hold it."""
        if not isinstance(track_id, str):
            return None
        rows = self._ids.rows(track_id)
        if not len(rows):
            rows = self._ids.rows(normalise_track_id(track_id))
        return int(rows[0]) if len(rows) else None

    def column(self, name: str) -> np.ndarray:
        """A whole column as an object array of Python values (None for missing), built
        once; list cells are Python lists."""
        cache = self.__dict__.setdefault("_columns", {})
        if name not in cache:
            cache[name] = _python_values(self.tracks[name])
        return cache[name]

    def cells(self, name: str, rows) -> np.ndarray:
        """The values of ``rows`` in one column, as :meth:`column` gives them. A large
        catalog reads just those rows instead of converting the whole column first."""
        at = np.asarray(rows, dtype=np.int64)
        if len(self) <= WHOLE_COLUMNS_UP_TO or name in self.__dict__.get("_columns", {}):
            return self.column(name)[at]
        import pyarrow as pa

        out = np.empty(len(at), dtype=object)
        out[:] = self._arrow(name).take(pa.array(at)).to_pylist()
        return out

    def _row_reader(self, name: str) -> Callable[[list[int]], list]:
        """``read(rows)``: one column's Python values at ``rows`` (a list of positions)
        in a large catalog, None for missing: text and list cells from the Arrow buffers,
        whole numbers as int from the numeric column. Made once per column."""
        readers = self.__dict__.setdefault("_row_readers", {})
        read = readers.get(name)
        if read is None:
            if name in _WHOLE_NUMBERS:
                values = self.numeric(name)

                def read(rows: list[int]) -> list:
                    return [None if v != v else int(v) for v in values[rows].tolist()]
            else:
                from musicrec.data.arrow_rows import ArrowRows

                read = ArrowRows(self._arrow(name)).cells
            readers[name] = read
        return read

    def _arrow(self, name: str):
        """A column as an Arrow array (no copy for the Arrow-backed ones), for row reads."""
        cache = self.__dict__.setdefault("_arrow_columns", {})
        if name not in cache:
            import pyarrow as pa

            values = self.tracks[name]
            cache[name] = pa.array(values.array if isinstance(values.dtype, pd.ArrowDtype)
                                   or hasattr(values.array, "__arrow_array__")
                                   else values.to_numpy(dtype=object, na_value=None),
                                   from_pandas=True)
        return cache[name]

    @cached_property
    def _record_columns(self) -> tuple[list, ...]:
        """The record fields as Python lists of Python values (fast per-row reads)."""
        return _record_fields(self.column)

    #: The fields of a track record, in order (see :meth:`records`).
    RECORD_FIELDS = ("track_id", "name", "artists", "album", "year", "popularity", "genres",
                     "duration_ms", "tags")

    def record_values(self, rows) -> list[tuple]:
        """Each row's record as a tuple in :data:`RECORD_FIELDS` order (lists copied)."""
        rows = list(rows) if not isinstance(rows, np.ndarray) else rows.tolist()
        if len(self) > WHOLE_COLUMNS_UP_TO:  # just these rows, each column read directly
            return self._read_records(rows)
        ids, names, artists, albums, years, pops, genres, durations, tags = (
            self._record_columns)
        return [(ids[r], names[r], list(artists[r]), albums[r], years[r], pops[r],
                 list(genres[r]), durations[r], list(tags[r])) for r in rows]

    def _read_records(self, rows: list[int]) -> list[tuple]:
        """:meth:`record_values` of a large catalog: each field's column read at the rows
        (lists come fresh from the Arrow buffers; tags only where there are any)."""
        read = self._row_reader
        ids = read("track_id")(rows)
        if ids and not isinstance(ids[0], str):
            ids = [str(v) for v in ids]
        artists, genres = ([[] if v is None else v for v in read(n)(rows)]
                           for n in ("artists", "genres"))
        tags = ([[] if v is None else v for v in read("tags")(rows)] if self.tag_names
                else [[] for _ in rows])
        return list(zip(ids, read("name")(rows), artists, read("album")(rows),
                        read("year")(rows), read("popularity")(rows), genres,
                        read("duration_ms")(rows), tags, strict=True))

    def records(self, rows) -> list[dict]:
        """The catalog's one projection of tracks into plain dicts
        (:data:`RECORD_FIELDS`), used by results, the REST API and playlist exports."""
        fields = self.RECORD_FIELDS
        return [dict(zip(fields, values, strict=True)) for values in self.record_values(rows)]

    def rows_of(self, track_ids) -> np.ndarray:
        """Rows of several ids (-1 for an unknown id)."""
        return self._ids.first_rows([str(t) for t in track_ids])

    @cached_property
    def version_codes(self) -> np.ndarray:
        """Integer code per row shared by all versions of a song (unique when unknown)."""
        return self.tracks["version_code"].to_numpy(dtype=np.int64)

    @cached_property
    def _version_groups(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.version_codes, kind="stable")
        starts = np.searchsorted(self.version_codes[order], np.arange(self.version_codes.max() + 2))
        return order, starts

    @cached_property
    def _version_keys(self) -> KeyLookup:
        return KeyLookup(self.tracks["version_key"])

    def rows_with_version_key(self, key: str | None) -> np.ndarray:
        """Rows whose version key is ``key`` (all versions of that song)."""
        return self._version_keys.rows(key)

    def version_rows(self, rows: list[int]) -> np.ndarray:
        """All rows that are versions of the songs at ``rows`` (including those rows).
        The first few calls on a large catalog compare codes (a millisecond at a
        million rows) instead of sorting them all (a tenth of a second)."""
        calls = self.__dict__["_version_calls"] = self.__dict__.get("_version_calls", 0) + 1
        if "_version_groups" not in self.__dict__ and calls <= SCANS_BEFORE_INDEX and (
                len(self) > WHOLE_COLUMNS_UP_TO):
            codes = np.unique(self.version_codes[np.asarray(rows, dtype=np.int64)])
            return np.flatnonzero(np.isin(self.version_codes, codes) if len(codes) > 1
                                  else self.version_codes == codes[0]) if len(codes) else (
                np.empty(0, dtype=np.int64))
        order, starts = self._version_groups
        if len(rows) == 1:
            code = int(self.version_codes[rows[0]])
            return order[starts[code]: starts[code + 1]]
        codes = {int(self.version_codes[r]) for r in rows}
        return np.concatenate([order[starts[c]: starts[c + 1]] for c in codes]) if codes else (
            np.empty(0, dtype=np.int64)
        )

    @cached_property
    def artist_codes(self) -> np.ndarray:
        """Integer code of each row's primary artist (unique per row when unknown)."""
        return self.tracks["artist_code"].to_numpy(dtype=np.int64)

    def numeric(self, column: str) -> np.ndarray:
        """A column as float64 with NaN for missing (for filters and explanations)."""
        cache = self.__dict__.setdefault("_numeric", {})
        if column not in cache:
            values = self.tracks[column]
            if values.dtype == np.float64:  # as it is (a view of a loaded model's file)
                cache[column] = values.to_numpy()
                return cache[column]
            if str(values.dtype) in ("Int64", "Int32"):  # Arrow converts these in C
                cache[column] = self._arrow(column).cast("float64").to_numpy(
                    zero_copy_only=False)
                return cache[column]
            if str(values.dtype) == "boolean":
                values = values.astype("Float64")
            cache[column] = pd.to_numeric(values, errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
        return cache[column]

    def has_values(self, column: str) -> bool:
        """Whether any track has a value in ``column``."""
        return column in self.tracks.columns and bool(self.tracks[column].notna().any())

    # ------------------------------------------------------------------ genres and tags
    def _label_rows(self, column: str) -> dict[str, np.ndarray]:
        """Rows by folded value of a list column (``genres``, ``tags``), built once."""
        cache = self.__dict__.setdefault("_label_rows_of", {})
        if column not in cache:
            exploded = self.tracks[column].explode().dropna()
            folded = exploded.map(fold)
            cache[column] = {
                g: np.unique(rows.to_numpy(dtype=np.int64))
                for g, rows in pd.Series(exploded.index,
                                         index=folded.to_numpy()).groupby(level=0)}
        return cache[column]

    def label_names(self, column: str) -> list[str]:
        """All values of a list column, sorted by how many tracks carry them."""
        cache = self.__dict__.setdefault("_label_names_of", {})
        if column not in cache:
            values = self.tracks[column]
            cache[column] = (list(values.explode().dropna().value_counts().index)
                             if values.notna().any() else [])
        return cache[column]

    @property
    def genre_names(self) -> list[str]:
        """All genre names in the catalog, sorted by how many tracks carry them."""
        return self.label_names("genres")

    @property
    def tag_names(self) -> list[str]:
        """All tags in the catalog (the tagger's, or an imported table's), most used first."""
        return self.label_names("tags")

    def genre_mask(self, genres: list[str]) -> np.ndarray:
        """Boolean mask of tracks carrying any of ``genres`` (case- and accent-insensitive)."""
        return self._label_mask("genres", genres, "genre")

    def tag_mask(self, tags: list[str]) -> np.ndarray:
        """Boolean mask of tracks carrying any of ``tags`` (case- and accent-insensitive)."""
        if not self.tag_names:
            raise UnknownGenreError(
                "no track of this catalog has tags (a library gets them when it is scanned "
                "with the tagger: musicrec library tagger install, then library scan)")
        return self._label_mask("tags", tags, "tag")

    def _label_mask(self, column: str, values: list[str], what: str) -> np.ndarray:
        mask = np.zeros(len(self), dtype=bool)
        rows_of = self._label_rows(column)
        for value in values:
            rows = rows_of.get(fold(value))
            if rows is None:
                from rapidfuzz import process

                names = self.label_names(column)
                close = [m[0] for m in process.extract(value, names, limit=5)]
                hint = f"; closest: {', '.join(close)}" if close else ""
                raise UnknownGenreError(f"no track has the {what} '{value}'{hint}")
            mask[rows] = True
        return mask

    # ------------------------------------------------------------------ text
    def label(self, row: int) -> str:
        """"Title - Artist, Artist (year)" for messages."""
        return self.labels([row])[0]

    def labels(self, rows) -> list[str]:
        """:meth:`label` of several rows (each column read once)."""
        rows = rows.tolist() if isinstance(rows, np.ndarray) else list(rows)
        fields = ("name", "track_id", "artists", "year")
        if len(self) > WHOLE_COLUMNS_UP_TO:  # each column read at just these rows
            names, ids, artists, years = (self._row_reader(n)(rows) for n in fields)
        else:
            names, ids, artists, years = (self.column(n)[rows] for n in fields)
        out = []
        for name, track_id, by, year in zip(names, ids, artists, years, strict=True):
            name = f"[untitled {track_id}]" if name is None else name
            by = ", ".join(by) if by is not None and len(by) else "unknown artist"
            out.append(f"{name} - {by}" + ("" if year is None else f" ({int(year)})"))
        return out

    @cached_property
    def _titles(self) -> KeyLookup:
        return KeyLookup(self.tracks["title_key"])

    def _title_rows(self, key: str) -> list[int]:
        return self._titles.rows(key).tolist()

    @cached_property
    def _bases(self) -> KeyLookup:
        return KeyLookup(self.tracks["base_key"])

    def _base_rows(self, key: str) -> list[int]:
        return self._bases.rows(key).tolist()

    @cached_property
    def _popularity_rank(self) -> np.ndarray:
        pop = self.numeric("popularity")
        return np.nan_to_num(pop, nan=-1.0)

    @cached_property
    def _search_strings(self) -> list[str]:
        names = self.tracks["title_key"].fillna("").astype(str)
        artists = [
            fold(" ".join(a)) if a is not None and len(a) else "" for a in self.column("artists")
        ]
        return [f"{n} {a}".strip() for n, a in zip(names, artists, strict=True)]

    def _artist_fits(self, row: int, artist_query: str) -> bool:
        from rapidfuzz import fuzz

        artists = self.cells("artists", [row])[0]
        if artists is None or not len(artists):
            return False
        joined = fold(" ".join(artists))
        return any(fold(a) == artist_query for a in artists) or (
            fuzz.token_set_ratio(artist_query, joined) >= 85
        )

    def match_text(self, text: str) -> TextMatch:
        """Tracks that fit free text ("title" or "title - artist"), best first.

        A plain title ("Wonderwall") matches every song with that base title, whatever
        its version suffix, and the most popular song wins (the earlier release on a
        tie), so the original beats a cover that happens to carry the bare title. A
        title with a version named ("Wonderwall - Remastered") prefers that exact
        title. Then "title - artist", then fuzzy matching of typos (on full and base
        titles); a fuzzy match is taken when it is close enough or clearly ahead of
        every other song. Raises UnknownTrackError with the closest candidates when
        nothing fits well.
        """
        query = fold(text)
        if not query:
            raise InvalidArgumentError("a seed is empty: give a title, 'title - artist' or an id")
        base = base_title(text)
        tiers: list[tuple[str, list[int]]] = []
        exact = self._title_rows(query)
        if exact and query != base:  # a version asked for by its full title
            tiers.append(("exact", exact))
        for title, artist in [] if exact else _splits(text):
            t, a = fold(title), fold(artist)
            rows = self._title_rows(t) + self._base_rows(base_title(title))
            rows = [r for r in dict.fromkeys(rows) if self._artist_fits(r, a)]
            if rows:
                tiers.append(("title-artist", rows))
                break
        same_song = list(dict.fromkeys(exact + self._base_rows(base)))
        if same_song:
            tiers.append(("exact" if exact else "version", same_song))
        if tiers:
            how, first = tiers[0]
            ranked = self._by_popularity(first)
            if how == "exact" and ranked[0] not in exact:
                how = "version"
            rest = [r for _, rows in tiers[1:] for r in rows]
            alternatives = self._distinct_songs(ranked[1:] + self._by_popularity(rest), ranked[0])
            return TextMatch([ranked[0]], how, 100.0, alternatives)
        return self._fuzzy(text, query)

    @cached_property
    def _base_titles(self) -> list[str]:
        return self.tracks["base_key"].fillna("").astype(str).tolist()

    def _fuzzy(self, text: str, query: str) -> TextMatch:
        from rapidfuzz import fuzz, process

        titles = self.tracks["title_key"].fillna("").astype(str).tolist()
        scored: dict[int, float] = {}
        for choices, scorer in (
            (titles, fuzz.ratio),
            (self._base_titles, fuzz.ratio),  # "bohemian rapsody" -> "... - 2011 Mix"
            (self._search_strings, fuzz.token_sort_ratio),
        ):
            for _, score, row in process.extract(query, choices, scorer=scorer, limit=10):
                scored[row] = max(scored.get(row, 0.0), float(score))
        # the query as the start of a longer title: "피카부" -> "피카부 Peek-A-Boo"
        for title, score, row in process.extract(query, titles, scorer=fuzz.partial_ratio,
                                                 limit=50):
            if len(title) > len(query) and title.startswith(query[:1]):
                scored[row] = max(scored.get(row, 0.0), LEAD_WEIGHT * float(score))
        if not scored:
            raise UnknownTrackError(text)
        order = sorted(scored, key=lambda r: (-round(scored[r]), -self._popularity_rank[r]))
        songs = self._distinct_songs(order, None)
        best = songs[0]
        runner_up = scored[songs[1]] if len(songs) > 1 else 0.0
        leads = scored[best] >= FUZZY_LEAD and scored[best] - runner_up >= LEAD_MARGIN
        if scored[best] < FUZZY_ACCEPT and not leads:
            candidates = self.labels(songs[:5])
            raise UnknownTrackError(text, candidates,
                                   f"no track matches '{shorten(text)}' well enough")
        alternatives = [r for r in order[1:] if scored[r] >= FUZZY_ACCEPT]
        return TextMatch([best], "fuzzy", scored[best], self._distinct_songs(alternatives, best))

    def _by_popularity(self, rows: list[int]) -> list[int]:
        """Rows by popularity, the earlier release first on a tie."""
        rows = list(dict.fromkeys(rows))
        years = self.numeric("year")
        return sorted(rows, key=lambda r: (-self._popularity_rank[r],
                                           years[r] if years[r] == years[r] else 9999))

    def _distinct_songs(self, rows: list[int], taken: int | None) -> list[int]:
        """Rows with versions of ``taken`` and of each other removed, order kept."""
        codes = self.version_codes
        seen = {codes[taken]} if taken is not None else set()
        out = []
        for r in rows:
            if codes[r] not in seen:
                seen.add(codes[r])
                out.append(r)
        return out

    def search(self, text: str | None, limit: int = 10, tags: list[str] | None = None
               ) -> pd.DataFrame:
        """Tracks whose title or artist fit ``text``, best first, with a ``match`` score;
        with ``tags``, only tracks carrying one of them (and with no text, all such tracks,
        those where a tag ranks highest first, match 100)."""
        from rapidfuzz import fuzz, process

        if limit <= 0:
            raise InvalidArgumentError(f"limit must be at least 1 (got {limit})")
        query = fold(text or "")
        if not query and not tags:
            raise InvalidArgumentError("search text is empty")
        allowed = self.tag_mask(list(tags)) if tags else None
        if not query:
            rows = np.flatnonzero(allowed)
            wanted = {fold(t) for t in tags}
            rank = [min((i for i, t in enumerate(cell or ()) if fold(t) in wanted),
                        default=99) for cell in self.cells("tags", rows)]
            order = np.lexsort((-self._popularity_rank[rows], np.asarray(rank)))[:limit]
            scored = [(100.0, int(rows[i])) for i in order]
        else:
            choices = self._search_strings
            if allowed is not None:  # the tracks with the tags only
                choices = {int(r): self._search_strings[r] for r in np.flatnonzero(allowed)}
            hits = process.extract(query, choices, scorer=fuzz.WRatio,
                                   limit=max(limit * 5, 50))
            exact = set(self._title_rows(query))
            scored = sorted(
                ((100.0 if row in exact else float(score), row) for _, score, row in hits),
                key=lambda sr: (-round(sr[0]), -self._popularity_rank[sr[1]]),
            )[:limit]
        rows = [r for _, r in scored]
        out = with_python_lists(self.tracks.iloc[rows][
            ["track_id", "name", "artists", "album", "year", "popularity", "genres", "tags"]
        ].copy())
        out.insert(0, "match", [round(s, 1) for s, _ in scored])
        return out.reset_index(drop=True)


def with_python_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with Arrow list columns (how a loaded model holds artists and genres)
    turned into Python lists, for mixing with rows made in Python."""
    lists = [c for c in frame.columns if isinstance(frame[c].dtype, pd.ArrowDtype)
             and "list" in str(frame[c].dtype)]
    if not lists:
        return frame
    return frame.assign(**{c: _python_values(frame[c]) for c in lists})


def _python_values(values: pd.Series) -> np.ndarray:
    """A column's values as Python objects (None for missing; list cells as lists)."""
    if isinstance(values.dtype, pd.ArrowDtype):
        import pyarrow as pa

        cells = pa.array(values.array).to_pylist()
        out = np.empty(len(cells), dtype=object)
        out[:] = cells
        return out
    if values.dtype == object:
        out = values.to_numpy(dtype=object, copy=True)
        out[values.isna().to_numpy()] = None
        return out
    return values.to_numpy(dtype=object, na_value=None)


def _record_fields(read) -> tuple[list, ...]:
    """The record columns (:attr:`Catalog.RECORD_FIELDS`) as Python lists, from
    ``read(name)``, a whole column (a large catalog reads its rows in
    :meth:`Catalog._read_records` instead)."""
    ids = [str(v) for v in read("track_id")]
    texts = [read(n).tolist() for n in ("name", "album")]
    lists = [[[] if v is None else list(v) for v in read(n)]
             for n in ("artists", "genres", "tags")]
    whole = [[None if v is None else int(v) for v in read(n)]
             for n in ("year", "popularity", "duration_ms")]
    return ids, texts[0], lists[0], texts[1], whole[0], whole[1], lists[1], whole[2], lists[2]


def _splits(text: str) -> list[tuple[str, str]]:
    """Ways to read text as (title, artist): split at " - " or " by ", rightmost first."""
    import re

    out = []
    for sep in (r"\s+[-–—]\s+", r"\s+by\s+"):
        parts = re.split(sep, text.strip())
        for i in range(len(parts) - 1, 0, -1):
            out.append((" - ".join(parts[:i]), " ".join(parts[i:])))
    return out
