"""Radio: an endless list from seeds that learns from likes and skips, with nothing
played twice; stations bounded in number and forgotten when idle; over REST too."""

from __future__ import annotations

import numpy as np
import pytest

from musicrec.errors import InvalidArgumentError, UnknownTrackError
from musicrec.recommend.radio import Radio


def _played_rows(rec, radio, station_id):
    return [rec.catalog.index_of(t) for t in radio._stations[station_id].played]


def test_a_station_never_repeats_a_song(rec):
    radio = Radio(rec)
    station, first = radio.start(["bad guy - Billie Eilish"], n=5)
    assert len(first.results) == 5
    for feedback in ("like", None, "skip") * 10:
        assert len(radio.next(station, feedback, n=5).results) == 5
    rows = _played_rows(rec, radio, station)
    assert len(rows) == 155
    codes = rec.catalog.version_codes[rows]
    assert len(set(codes.tolist())) == len(rows)  # no track, no version twice
    seed = rec.catalog.index_of(rec.resolve("bad guy - Billie Eilish").track_id)
    assert rec.catalog.version_codes[seed] not in set(codes.tolist())


def test_skips_push_a_cluster_away_and_likes_pull(rec):
    """After five skips of tracks of one song cluster, fewer of the next 20 tracks come
    from it than on a station that heard nothing (measured: benchmarks/radio_feedback.py)."""
    labels = rec.model.clusters.songs.labels
    plain, told = Radio(rec), Radio(rec)
    a, _ = plain.start(["Shape of You"], n=1)
    b, first = told.start(["Shape of You"], n=1)
    cluster = labels[rec.catalog.index_of(first.results[0].track_id)]
    skipped = 0
    while skipped < 5:  # skip every track of that cluster, keep the others
        last = told._stations[b].played[-1]
        feedback = "skip" if labels[rec.catalog.index_of(last)] == cluster else None
        skipped += feedback == "skip"
        told.next(b, feedback, n=1)
    after = [labels[rec.catalog.index_of(r.track_id)] for r in told.next(b, "skip", 20).results]
    plain.next(a, None, n=len(told._stations[b].played) - 21)  # as far along
    before = [labels[rec.catalog.index_of(r.track_id)] for r in plain.next(a, None, 20).results]
    assert after.count(cluster) < before.count(cluster)
    liked, _ = told.start(["Shape of You"], n=1)
    song = told._stations[liked].played[-1]
    for _ in range(3):
        told.next(liked, "like", n=1)
    assert told._stations[liked].likes == told._stations[liked].played[:3]
    assert song in told._stations[liked].likes


def test_stations_are_bounded_and_expire(rec, monkeypatch):
    import musicrec.recommend.radio as radio_module

    radio = Radio(rec, max_stations=3, idle_seconds=60)
    ids = [radio.start(["bad guy"], n=1)[0] for _ in range(5)]
    assert len(radio) == 3
    with pytest.raises(UnknownTrackError, match="no radio station"):
        radio.next(ids[0])
    now = radio_module.time.monotonic()
    monkeypatch.setattr(radio_module.time, "monotonic", lambda: now + 61)
    assert len(radio) == 0
    with pytest.raises(InvalidArgumentError, match="'like' or 'skip'"):
        Radio(rec).next("x", "love")
    with pytest.raises(UnknownTrackError):
        Radio(rec).start(["zzqqxx no such song at all"])


def test_radio_over_rest(rec):
    import httpx

    from musicrec.api.app import create_app
    from tests.api_server import running

    with running(create_app(rec)) as url, httpx.Client(base_url=url, timeout=30) as http:
        started = http.post("/radio", json={"seeds": ["bad guy"], "n": 3})
        assert started.status_code == 200, started.text
        station = started.json()["station"]
        seen = [r["track_id"] for r in started.json()["results"]]
        for feedback in ("like", "skip", None):
            more = http.post(f"/radio/{station}/next", json={"feedback": feedback, "n": 3})
            assert more.status_code == 200, more.text
            seen += [r["track_id"] for r in more.json()["results"]]
        assert len(seen) == len(set(seen)) == 12
        gone = http.post("/radio/nope/next", json={})
        assert gone.status_code == 404 and "no radio station" in gone.json()["error"]
        assert http.post(f"/radio/{station}/next", json={"feedback": "love"}).status_code == 422
    assert np.all(np.array([len(s) for s in seen]) > 0)


def test_the_command_line_radio(capsys, monkeypatch, model):
    """One song at a time, answered on standard input: skip, like, next, quit."""
    import io

    from musicrec.cli import run

    monkeypatch.setattr("sys.stdin", io.StringIO("s\nl\nwhat\n\nq\n"))
    code = run(["radio", "bad guy - Billie Eilish", "--year", "2010-"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split(".")[0] for line in lines] == ["1", "2", "3", "4"]
    assert len(set(lines)) == 4 and "bad guy" not in out
    assert "Played 4 songs." in err and err.count("[l]ike, [s]kip") == 5
