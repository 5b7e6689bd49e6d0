"""Key lookups and per-row reads, the two ways a catalog answers: a scan of the Arrow
column (large catalogs, first queries) and an index (small catalogs, later queries),
and whole-column caches against reading only the rows asked for. Both must agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import musicrec.data.catalog as catalog_module
import musicrec.data.keys as keys_module
from musicrec.data.keys import KeyLookup


@pytest.mark.parametrize("scan_first", [False, True])
def test_scan_and_index_give_the_same_rows(monkeypatch, scan_first):
    values = pd.Series(["a", "b", None, "a", "", "c", "a"], dtype="string")
    if scan_first:  # as a large column does for its first lookups
        monkeypatch.setattr(keys_module, "INDEX_AT_ONCE_BELOW", 0)
    lookup = KeyLookup(values)
    asked = ["a", "b", "zz", "", None, "c"] * 3  # past SCANS_BEFORE_INDEX: both paths
    answers = [lookup.rows(k).tolist() for k in asked]
    assert answers[:6] == [[0, 3, 6], [1], [], [], [], [5]]
    assert answers[6:12] == answers[:6] and answers[12:] == answers[:6]
    assert lookup.first_rows(["c", "a", "zz", "", None]).tolist() == [5, 0, -1, -1, -1]


def test_large_catalog_reads_rows_as_a_small_one_does(model, monkeypatch):
    """Records, labels, text matches and explanations of the default catalog, read
    row by row (as above WHOLE_COLUMNS_UP_TO) equal the whole-column reads."""
    from musicrec import Catalog, Recommender
    from musicrec.model.store import load_model

    rows = [0, 17, 2_000, len(model.catalog) - 1]
    small = model.catalog
    expected = (small.records(rows), small.labels(rows), small.match_text("bad guy").rows,
                Recommender(model)._raw(rows))
    monkeypatch.setattr(catalog_module, "WHOLE_COLUMNS_UP_TO", 0)
    monkeypatch.setattr(keys_module, "INDEX_AT_ONCE_BELOW", 0)
    fresh = load_model(model.path, verify=False)
    large = fresh.catalog
    assert isinstance(large, Catalog) and large is not small
    assert large.records(rows) == expected[0]
    assert large.labels(rows) == expected[1]
    assert large.match_text("bad guy").rows == expected[2]
    assert np.array_equal(Recommender(fresh)._raw(rows), expected[3], equal_nan=True)
    assert large.index_of(str(small.column("track_id")[17])) == 17
    # versions: the first lookups compare codes, later ones use the sorted groups
    many = [rows[:1], rows[1:3], rows] * 4
    assert [sorted(large.version_rows(r).tolist()) for r in many] == [
        sorted(small.version_rows(r).tolist()) for r in many]
    assert "_version_groups" in large.__dict__  # built once the scans were many
    # numbers as the small catalog converts them (float columns kept as they are)
    for column in ("energy", "year", "key", "popularity"):
        assert np.array_equal(large.numeric(column), small.numeric(column), equal_nan=True)
    ours = [r.track_id for r in Recommender(fresh).recommend(["bad guy"], k=10).results]
    theirs = [r.track_id for r in Recommender(model).recommend(["bad guy"], k=10).results]
    assert ours == theirs


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_arrow_rows_reads_cells_as_take_does(kind):
    """Rows read from the buffers equal pyarrow's take: nulls, empty strings, accents,
    empty and null lists, sliced arrays (whose buffers start before their first row),
    and any other type through take itself."""
    import pyarrow as pa

    from musicrec.data.arrow_rows import ArrowRows

    text = pa.string() if kind == "string" else pa.large_string()
    names = pa.array(["Björk", None, "", "피카부", "a" * 300, "x"], type=text)
    lists = pa.array([["A", "B"], None, [], ["É"], [None, "C"], ["D"]],
                     type=pa.list_(text) if kind == "string" else pa.large_list(text))
    numbers = pa.array([1, None, 3, 4, 5, 6])
    rows = np.array([5, 0, 1, 3, 2, 1, 4])
    for array in (names, lists, numbers, names.slice(1), lists.slice(2), lists.slice(1, 3)):
        at = rows[rows < len(array)]
        assert ArrowRows(array).cells(at) == array.take(pa.array(at)).to_pylist()
    assert ArrowRows(names).cells([]) == []


def test_large_catalog_reads_tags_and_missing_cells_as_a_small_one_does(model, monkeypatch):
    """A catalog with tags (some rows without), a missing album and a missing year: its
    records read row by row equal the whole-column reads, lists fresh for each call."""
    from musicrec import Catalog

    tracks = model.catalog.tracks.head(40).reset_index(drop=True).copy()
    tracks["tags"] = pd.Series([["mellow", "acoustic"] if i % 3 == 0 else
                                ([] if i % 3 == 1 else None) for i in range(40)],
                               dtype=object)
    tracks.loc[5, "album"] = None
    tracks["year"] = tracks["year"].astype("Int64")
    tracks.loc[7, "year"] = pd.NA
    rows = [0, 5, 7, 13, 39, 2]
    small = Catalog(tracks.copy())
    expected = small.records(rows)
    assert expected[0]["tags"] == ["mellow", "acoustic"] and expected[2]["year"] is None
    assert expected[1]["album"] is None and expected[5]["tags"] == []
    monkeypatch.setattr(catalog_module, "WHOLE_COLUMNS_UP_TO", 0)
    large = Catalog(tracks.copy())
    assert large.tag_names and large.records(rows) == expected
    first, again = large.record_values(rows[:1]), large.record_values(rows[:1])
    first[0][8].append("changed")  # a caller's edit does not reach the next read
    assert again[0][8] == ["mellow", "acoustic"] == large.record_values(rows[:1])[0][8]
    assert large.labels(rows) == small.labels(rows)
