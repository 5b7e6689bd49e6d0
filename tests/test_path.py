"""Song paths on the default catalog: from A to B in small steps, every step a real track,
no repeats or versions, the artist cap and filters kept, smoother than the straight line
(the nearest track to each waypoint)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicrec.cli import run
from musicrec.errors import InvalidArgumentError
from musicrec.recommend.filters import Filters
from musicrec.recommend.path import disjoint, waypoints


def _pairs(rec, n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    ids = rec.catalog.tracks["track_id"].astype(str).to_numpy()
    codes = rec.catalog.version_codes
    out = []
    while len(out) < n:
        a, b = rng.choice(len(ids), 2, replace=False)
        if codes[a] != codes[b]:
            out.append((ids[a], ids[b]))
    return out


def _straight_line(rec, a: str, b: str, steps: int) -> list[int]:
    """The baseline: the nearest unused track (and song) to each waypoint, in order."""
    rows = [rec.catalog.index_of(a), rec.catalog.index_of(b)]
    codes = rec.catalog.version_codes
    used = {int(codes[r]) for r in rows}
    order = np.argsort(-(waypoints(rec.vectors[rows[0]], rec.vectors[rows[1]], steps)
                         @ rec.vectors.T), axis=1)
    path = [rows[0]]
    for ranked in order:
        row = next(int(r) for r in ranked if int(codes[r]) not in used)
        used.add(int(codes[row]))
        path.append(row)
    return [*path, rows[1]]


def _steps(rec, rows: list[int]) -> np.ndarray:
    v = rec.vectors[rows]
    return 1.0 - np.einsum("ij,ij->i", v[1:], v[:-1])


def test_a_path_runs_from_a_to_b_through_distinct_songs(rec):
    for a, b in _pairs(rec, 20):
        result = rec.path(a, b, 25)
        rows = [rec.catalog.index_of(r.track_id) for r in result.results]
        assert result.results[0].track_id == a and result.results[-1].track_id == b
        assert len(rows) == 26 and [r.rank for r in result.results] == list(range(1, 27))
        codes = rec.catalog.version_codes[rows]
        assert len(set(codes.tolist())) == len(rows)  # no track, no version twice
        artists = rec.catalog.artist_codes[rows]
        assert max(np.unique(artists, return_counts=True)[1]) <= 2  # the default cap
        scores = [r.score for r in result.results[1:]]
        assert np.allclose(scores, 1 - _steps(rec, rows), atol=1e-4)


def test_filters_and_the_artist_cap_hold_on_every_step(rec):
    filters = Filters(year=(2000, 2009))
    years = rec.catalog.numeric("year")
    for a, b in _pairs(rec, 10, seed=1):
        result = rec.path(a, b, 12, filters=filters, artist_cap=1)
        rows = [rec.catalog.index_of(r.track_id) for r in result.results]
        assert all(2000 <= years[r] <= 2009 for r in rows[1:-1])
        artists = rec.catalog.artist_codes[rows[1:-1]]
        assert len(set(artists.tolist())) == len(artists)
        ends = set(rec.catalog.artist_codes[[rows[0], rows[-1]]].tolist())
        assert not ends & set(artists.tolist())  # the ends' artists count against the cap
    none = rec.path(*_pairs(rec, 1, seed=2)[0], 10, filters=Filters(year=(1800, 1800)))
    assert len(none.results) == 2 and "only 1 steps could be made" in none.notices[-1]


def test_a_path_is_smoother_than_the_straight_line(rec):
    """Over 40 seeded pairs: the largest step is smaller on average than the straight
    line's, and the mean step no larger (the measured figures: benchmarks/song_paths.py)."""
    ours, line = [], []
    for a, b in _pairs(rec, 40, seed=3):
        rows = [rec.catalog.index_of(r.track_id) for r in rec.path(a, b, 25).results]
        ours.append(_steps(rec, rows))
        line.append(_steps(rec, _straight_line(rec, a, b, 25)))
    assert np.mean([s.max() for s in ours]) < np.mean([s.max() for s in line])
    assert np.mean([s.mean() for s in ours]) <= np.mean([s.mean() for s in line]) + 1e-3


def test_bad_paths_are_refused(rec):
    with pytest.raises(InvalidArgumentError, match="same song"):
        rec.path("bad guy - Billie Eilish", "bad guy - Billie Eilish")
    with pytest.raises(InvalidArgumentError, match="steps must be a whole number from 2"):
        rec.path("bad guy", "Wonderwall", 1)
    with pytest.raises(InvalidArgumentError, match="from 2 to 200"):
        rec.path("bad guy", "Wonderwall", 500)


def test_waypoints_and_their_songs():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    points = waypoints(a, b, 4)
    angles = np.degrees(np.arccos(np.clip(points @ a, -1, 1)))
    assert np.allclose(angles, [22.5, 45.0, 67.5], atol=1e-4)
    # three waypoints that all find songs 7 and 8 first: each keeps a song of its own
    rows = np.array([[7, 8, -1], [7, 8, 9], [8, 7, -1]])
    scores = np.array([[0.9, 0.8, -np.inf], [0.95, 0.7, 0.1], [0.9, 0.85, -np.inf]])
    kept = disjoint(rows, scores, songs=np.arange(10))
    chosen = [set(rows[i, k].tolist()) for i, k in enumerate(kept)]
    assert all(chosen) and not (chosen[0] & chosen[1] or chosen[1] & chosen[2]
                                or chosen[0] & chosen[2])


def test_the_command_line_path(capsys, model, tmp_path):
    code = run(["path", "bad guy - Billie Eilish", "Wonderwall - Oasis", "--steps", "5",
                "--format", "json", "--export", str(tmp_path / "path.m3u8")])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 6 and records[0]["name"] == "bad guy"
    assert records[-1]["artists"] == ["Oasis"]
    assert (tmp_path / "path.m3u8").read_text().count("#EXTINF") == 6
    code = run(["path", "bad guy - Billie Eilish", "bad guy - Billie Eilish"])
    _, err = capsys.readouterr()
    assert code == 1 and "same song" in err and "Traceback" not in err
