"""The canonical listening table, built in chunks so a 12.9M-row file never sits in
memory as text.

One row per event: *who* (a playlist or a listener), *what* (an item: a catalog track,
or an outside song kept with its title and artist, or an artist for artist-level data),
an optional weight (play count) and an optional time. Stored normalised, as integer
codes into a table of users and a table of items, because the same song appears in
thousands of playlists:

- ``events``: ``user`` (int32), ``item`` (int32), ``weight`` (float32), ``time``
  (int64 Unix seconds, missing when unknown);
- ``users``: ``user`` (the name the file gives);
- ``items``: ``title`` (missing for an artist), ``artist``, ``source_id`` (an id the
  file gives: Spotify track id, MusicBrainz recording id), ``track_id`` (the catalog
  track it matched, missing when none).

:meth:`Listens.to_frame` gives the joined, human-readable table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Bad rows shown per import in the summary.
EXAMPLES = 3
_SEP = "\x1f"  # between parts of a key: a character no title contains


@dataclass
class ListenReport:
    """What an import of listening data read, kept, skipped and matched."""

    path: Path
    format: str
    rows_read: int = 0
    events: int = 0
    skipped: Counter = field(default_factory=Counter)
    #: cells that were not usable and were replaced (a weight taken as 1), by reason
    fixed: Counter = field(default_factory=Counter)
    examples: list[tuple[int | None, str, str]] = field(default_factory=list)
    users: int = 0
    items: int = 0
    matched_items: int = 0
    matched_events: int = 0
    matched_by: Counter = field(default_factory=Counter)
    dataset: str | None = None
    notes: list[str] = field(default_factory=list)

    def bad_row(self, reason: str, line: int | None = None, text: str = "") -> None:
        """One row left out (counted; the first few kept with their line and text)."""
        self.skipped[reason] += 1
        if len(self.examples) < EXAMPLES:
            shown = text if len(text) <= 80 else text[:79] + "…"
            self.examples.append((line, reason, shown))

    @property
    def match_rate(self) -> float:
        """Share of the events whose item is a catalog track (or artist)."""
        return self.matched_events / self.events if self.events else 0.0

    def summary(self) -> list[str]:
        """The report as plain lines for a terminal (file text is shown verbatim)."""
        lines = [f"{self.path}: {self.rows_read:,} rows read as {self.format}, "
                 f"{self.events:,} events kept from {self.users:,} users or playlists "
                 f"on {self.items:,} items"]
        for reason, count in self.skipped.most_common():
            lines.append(f"  skipped {count:,} rows: {reason}")
        for reason, count in self.fixed.most_common():
            lines.append(f"  {count:,} cells: {reason}")
        for line, reason, text in self.examples:
            where = f"line {line}" if line is not None else "a row"
            lines.append(f"    {where}: {text!r} ({reason})")
        if self.dataset is not None:
            how = ", ".join(f"{n:,} by {k}" for k, n in self.matched_by.most_common())
            lines.append(f"  matched to '{self.dataset}': {self.matched_items:,} of "
                         f"{self.items:,} items ({how or 'none'}), {self.match_rate:.1%} of "
                         "the events; unmatched items are kept with their title and artist")
        lines += [f"  note: {n}" for n in self.notes]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "format": self.format, "rows_read": self.rows_read,
                "events": self.events, "skipped": dict(self.skipped),
                "fixed": dict(self.fixed),
                "examples": [list(e) for e in self.examples], "users": self.users,
                "items": self.items, "matched_items": self.matched_items,
                "matched_events": self.matched_events, "match_rate": self.match_rate,
                "matched_by": dict(self.matched_by), "dataset": self.dataset,
                "notes": list(self.notes)}


@dataclass
class Listens:
    """The canonical listening table (see the module docstring)."""

    events: pd.DataFrame
    users: pd.DataFrame
    items: pd.DataFrame
    report: ListenReport

    @property
    def artist_level(self) -> bool:
        """Whether the items are artists, not songs (Last.fm HetRec)."""
        return bool(len(self.items)) and bool(self.items["title"].isna().all())

    def to_frame(self) -> pd.DataFrame:
        """One row per event with names: user, title, artist, track_id, weight, time."""
        users = self.users["user"].to_numpy()[self.events["user"].to_numpy()]
        items = self.items.iloc[self.events["item"].to_numpy()].reset_index(drop=True)
        return pd.DataFrame({"user": users, "title": items["title"],
                             "artist": items["artist"], "track_id": items["track_id"],
                             "weight": self.events["weight"].to_numpy(),
                             "time": self.events["time"].to_numpy()})


class ListenBuilder:
    """Accumulates chunks of events into codes (users and items seen once each)."""

    def __init__(self, path: Path, format: str) -> None:
        self.report = ListenReport(Path(path), format)
        self._users: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self._item_parts: list[pa.Table] = []
        self._codes: list[tuple] = []  # per chunk: user, item codes, weights, times

    def add(self, users: pa.Array, titles: pa.Array, artists: pa.Array,
            source_ids: pa.Array | None = None, weights: np.ndarray | None = None,
            times: np.ndarray | None = None) -> None:
        """One chunk of events, as parallel arrays of strings (titles may be null for
        artist-level data; ids may be null), weights and Unix times (NaN: unknown)."""
        n = len(users)
        if n == 0:
            return
        ids = source_ids if source_ids is not None else pa.nulls(n, pa.string())
        user_codes = _encode(users, self._users)
        key = pc.binary_join_element_wise(pc.fill_null(ids, ""), pc.fill_null(titles, ""),
                                          pc.fill_null(artists, ""), _SEP)
        before = len(self._items)
        item_codes = _encode(key, self._items)
        if len(self._items) > before:  # the first row of each new item describes it
            codes, first = np.unique(item_codes, return_index=True)
            take = pa.array(first[codes >= before])  # new codes are consecutive, sorted
            self._item_parts.append(pa.table({
                "title": pc.take(titles, take), "artist": pc.take(artists, take),
                "source_id": pc.take(ids, take)}))
        w = None if weights is None else np.asarray(weights, dtype=np.float32)
        t = None if times is None else np.asarray(times, dtype=np.float64)
        self._codes.append((user_codes, item_codes, w, t))  # None: all 1 / all unknown
        self.report.events += n

    def finish(self) -> Listens:
        """The table of everything added."""
        chunks, self._codes = self._codes, []
        sizes = [len(c[0]) for c in chunks]
        n = sum(sizes)

        def joined(i: int, dtype, fill) -> np.ndarray:
            out = np.empty(n, dtype=dtype)
            at = 0
            for chunk, size in zip(chunks, sizes, strict=True):
                out[at: at + size] = fill if chunk[i] is None else chunk[i]
                at += size
            return out

        user, item = joined(0, np.int32, 0), joined(1, np.int32, 0)
        weight = joined(2, np.float32, 1.0)
        if any(c[3] is not None for c in chunks):
            seconds = joined(3, np.float64, np.nan)
            unknown = np.isnan(seconds)
            seconds[unknown] = 0
            time = pd.arrays.IntegerArray(seconds.astype(np.int64), unknown)
        else:
            time = pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, dtype=bool))
        chunks.clear()
        events = pd.DataFrame({"user": user, "item": item, "weight": weight, "time": time},
                              copy=False)
        users = pd.DataFrame({"user": pd.array(list(self._users), dtype="string")})
        self._users, self._items = {}, {}
        if self._item_parts:
            table, self._item_parts = pa.concat_tables(self._item_parts), []
            items = pd.DataFrame({c: pd.array(table.column(c).to_pylist(), dtype="string")
                                  for c in ("title", "artist", "source_id")})
            del table
        else:
            items = pd.DataFrame({c: pd.Series(dtype="string")
                                  for c in ("title", "artist", "source_id")})
        items["track_id"] = pd.Series(pd.NA, index=items.index, dtype="string")
        self.report.users, self.report.items = len(users), len(items)
        return Listens(events, users, items, self.report)


def _encode(values: pa.Array, codes: dict[str, int]) -> np.ndarray:
    """Global int codes of ``values`` (strings), new ones appended to ``codes``: the
    chunk is dictionary-encoded in C, so Python sees each distinct value once."""
    encoded = pc.dictionary_encode(pc.fill_null(values, ""))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    local = encoded.dictionary.to_pylist()
    mapping = np.fromiter((codes.setdefault(v, len(codes)) for v in local), np.int32,
                          len(local))
    return mapping[encoded.indices.to_numpy(zero_copy_only=False)]
