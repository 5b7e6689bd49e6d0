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


def _catalog_keys(catalog: Catalog) -> tuple[dict[str, int], dict[str, int], set[str]]:
    """title|artist -> row (every credited artist), version key -> row, folded artists;
    the most popular row first when several share a key."""
    order = np.argsort(-np.nan_to_num(catalog.numeric("popularity"), nan=-1.0), kind="stable")
    titles = catalog.tracks["title_key"].astype(object).to_numpy()
    versions = catalog.tracks["version_key"].astype(object).to_numpy()
    artists = catalog.column("artists")
    exact: dict[str, int] = {}
    version: dict[str, int] = {}
    names: set[str] = set()
    for row in order.tolist():
        credited = [fold(a) for a in artists[row]] if artists[row] is not None else []
        names.update(credited)
        if isinstance(titles[row], str):
            for a in credited:
                exact.setdefault(f"{titles[row]}|{a}", row)
        if isinstance(versions[row], str):
            version.setdefault(versions[row], row)
    return exact, version, names


def match_to_catalog(listens: Listens, catalog: Catalog, dataset: str) -> Listens:
    """Fill ``items.track_id`` with the catalog tracks the items are (see the module doc)
    and the report's match counts; returns ``listens``."""
    items, report = listens.items, listens.report
    exact, version, names = _catalog_keys(catalog)
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
        row = exact.get(f"{fold(title)}|{a}")
        if row is None:
            row = version.get(f"{base_title(title)}|{a}")
            if row is not None:
                matched[i], how[i] = row, 3
        else:
            matched[i], how[i] = row, 2
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
