"""Matching listening data's items to a catalog: by id where the file gives one, else by
folded title and artist, with the resolver's rules.

In order: the item's id (a Spotify id in any form) is a catalog track; its folded title
and any folded artist credit name one catalog track (the most popular when several
do); its base title (version markers dropped, see :mod:`musicrec.data.text`) and
folded artist are a catalog song's version key. No fuzzy matching: millions of items
are matched in seconds, and a wrong match would teach the model a false pairing.
Artist-level items (no title) match a catalog artist by folded name. Unmatched items
stay in the table with their title and artist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from musicrec.data.catalog import Catalog
from musicrec.data.ids import normalise_track_id
from musicrec.data.interactions.table import Listens
from musicrec.data.text import base_title, fold


class TitleArtistIndex:
    """A catalog's tracks by folded title and artist, and by version key (the most
    popular track first where several share a key)."""

    def __init__(self, catalog: Catalog) -> None:
        order = np.argsort(-np.nan_to_num(catalog.numeric("popularity"), nan=-1.0),
                           kind="stable")
        titles = catalog.tracks["title_key"].astype(object).to_numpy()
        versions = catalog.tracks["version_key"].astype(object).to_numpy()
        artists = catalog.column("artists")
        self.exact: dict[str, int] = {}
        self.version: dict[str, int] = {}
        self.artists: set[str] = set()
        for row in order.tolist():
            credited = [fold(a) for a in artists[row]] if artists[row] is not None else []
            self.artists.update(credited)
            if isinstance(titles[row], str):
                for a in credited:
                    self.exact.setdefault(f"{titles[row]}|{a}", row)
            if isinstance(versions[row], str):
                self.version.setdefault(versions[row], row)

    def find(self, title: str, folded_artist: str) -> tuple[int | None, int]:
        """(row, how) of a title by an artist (folded): how is 2 for title and artist, 3
        for a version of the song, 0 when none."""
        row = self.exact.get(f"{fold(title)}|{folded_artist}")
        if row is not None:
            return row, 2
        row = self.version.get(f"{base_title(title)}|{folded_artist}")
        return (row, 3) if row is not None else (None, 0)


def match_to_catalog(listens: Listens, catalog: Catalog, dataset: str) -> Listens:
    """Fill ``items.track_id`` with the catalog tracks the items are (see the module doc)
    and the report's match counts; returns ``listens``."""
    items, report = listens.items, listens.report
    index = TitleArtistIndex(catalog)
    names = index.artists
    track_ids = catalog.column("track_id")
    folded_artists: dict[str, str] = {}
    matched = np.full(len(items), -1, dtype=np.int64)
    how = np.zeros(len(items), dtype=np.int8)  # 1 id, 2 title and artist, 3 version, 4 artist
    artist_level = listens.artist_level
    for i, (title, artist, source) in enumerate(zip(
            items["title"].to_numpy(dtype=object, na_value=None),
            items["artist"].to_numpy(dtype=object, na_value=None),
            items["source_id"].to_numpy(dtype=object, na_value=None), strict=True)):
        if source:
            row = catalog.index_of(normalise_track_id(source))
            if row is not None:
                matched[i], how[i] = row, 1
                continue
        if not artist:
            continue
        a = folded_artists.get(artist)
        if a is None:
            a = folded_artists[artist] = fold(artist)
        if a not in names:  # most items: an artist the catalog does not have
            continue
        if artist_level:
            how[i] = 4
            continue
        if not title:
            continue
        row, found = index.find(title, a)
        if row is not None:
            matched[i], how[i] = row, found
    ids = pd.array([track_ids[r] if r >= 0 else None for r in matched.tolist()],
                   dtype="string")
    items["track_id"] = ids
    report.dataset = dataset
    report.matched_items = int(np.count_nonzero(how))
    report.matched_by.clear()
    for code, name in ((1, "id"), (2, "title and artist"), (3, "version of the song"),
                       (4, "artist name")):
        count = int(np.count_nonzero(how == code))
        if count:
            report.matched_by[name] = count
    item_matched = how > 0
    report.matched_events = int(item_matched[listens.events["item"].to_numpy()].sum())
    return listens


def catalog_rows(listens: Listens, catalog: Catalog) -> np.ndarray:
    """Each item's catalog row (-1 when it matched none), from ``items.track_id``."""
    rows = [catalog.index_of(t) if isinstance(t, str) else None
            for t in listens.items["track_id"].to_numpy(dtype=object, na_value=None)]
    return np.array([-1 if r is None else r for r in rows], dtype=np.int64)
