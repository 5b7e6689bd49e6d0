"""Extending a playlist the user has: files as musicrec writes them and as other tools
do, through the Recommender, the CLI, the REST API and a Spotify playlist link."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from musicrec import export
from musicrec.errors import DataFileError, UnknownTrackError
from musicrec.playlists import PlaylistEntry, parse_playlist, read_playlist_file
from tests.test_cli import cli
from tests.test_spotify import (  # noqa: F401  (fixtures)
    _shared_cache,
    fake,
    settings,
    spotify_env,
)

BAD_GUY = "2Fxmhks0bxGSBdJ92vM42m"


@pytest.fixture(scope="module")
def some_ids(rec):
    answer = rec.recommend(["bad guy - Billie Eilish"], k=8)
    return [BAD_GUY] + [r.track_id for r in answer.results]


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_musicrec_exports_read_back(rec, some_ids, fmt):
    text = export.render(rec.catalog, some_ids, fmt, "mine")
    entries = parse_playlist(text, f"mine.{fmt}")
    assert [e.track_id for e in entries] == some_ids
    assert entries[0].title == "bad guy" and entries[0].artist == "Billie Eilish"


def test_other_tools_files():
    m3u = "#EXTM3U\n#EXTINF:194,Billie Eilish - bad guy\n/music/01 bad guy.mp3\n" \
          "C:\\Music\\Ed Sheeran - Shape of You.flac\n"
    entries = parse_playlist(m3u, "phone.m3u")
    assert entries == [  # the files are kept too: a library of them matches by path
        PlaylistEntry("bad guy", "Billie Eilish", location="/music/01 bad guy.mp3"),
        PlaylistEntry("Shape of You", "Ed Sheeran",
                      location="C:\\Music\\Ed Sheeran - Shape of You.flac")]
    exportify = ('"Track URI","Track Name","Artist Name(s)","Album Name"\n'
                 f'"spotify:track:{BAD_GUY}","bad guy","Billie Eilish","WHEN WE ALL"\n'
                 '"","Shape of You","Ed Sheeran;Someone","Divide"\n')
    entries = parse_playlist(exportify, "Liked_Songs.csv")
    assert entries == [PlaylistEntry("bad guy", "Billie Eilish", BAD_GUY),
                       PlaylistEntry("Shape of You", "Ed Sheeran")]
    semicolons = "Titel;Künstler;Title;Artist\nx;y;Blinding Lights;The Weeknd\n"
    assert parse_playlist(semicolons, "p.csv")[0] == PlaylistEntry("Blinding Lights",
                                                                   "The Weeknd")
    with pytest.raises(DataFileError, match="needs a title"):
        parse_playlist("a,b\n1,2\n", "numbers.csv")
    with pytest.raises(DataFileError, match="not a JSPF playlist"):
        parse_playlist('{"playlist": {}}', "broken.jspf")


def test_extend_never_returns_the_playlist_and_names_the_unmatched(rec, some_ids):
    entries = [PlaylistEntry(track_id=t) for t in some_ids] + [
        PlaylistEntry("Shape of You - Remastered 2017", "Ed Sheeran"),  # a version of it
        PlaylistEntry("Song Nobody Wrote", "Nobody Known")]
    answer = rec.extend_playlist(entries, k=30, name="mine.csv")
    returned = {r.track_id for r in answer.results}
    shape = rec.catalog.column("track_id")[rec.catalog.match_text("Shape of You").rows[0]]
    assert len(answer.results) == 30
    assert not returned & (set(some_ids) | {shape})
    assert not returned & set(rec.catalog.column("track_id")[
        rec.catalog.version_rows(list(rec.catalog.rows_of([shape, *some_ids])))])
    assert answer.notices[0] == "10 of the 11 tracks of mine.csv are in the catalog and " \
                                "were used as seeds"
    assert answer.notices[1] == "not in the catalog: Song Nobody Wrote - Nobody Known"
    with pytest.raises(UnknownTrackError, match="none of the 1 tracks"):
        rec.extend_playlist([PlaylistEntry("Song Nobody Wrote", "Nobody Known")])


def test_cli_playlist_file(capsys, rec, some_ids, tmp_path):
    path = tmp_path / "mine.jspf"
    path.write_text(export.render(rec.catalog, some_ids, "jspf", "mine"))
    code, out, err = cli(capsys, "recommend", "--playlist", str(path), "--format", "json",
                         "-k", "15")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 15 and not {r["track_id"] for r in records} & set(some_ids)
    assert "9 of the 9 tracks" in err
    code, out, err = cli(capsys, "recommend", "bad guy", "--playlist", str(path))
    assert code != 0 and "not both" in err
    assert read_playlist_file(path)[0].track_id == BAD_GUY


def test_rest_playlist(rec, some_ids):
    from musicrec.api.app import create_app

    client = TestClient(create_app(rec))
    text = export.render(rec.catalog, some_ids, "m3u8", "mine")
    answer = client.post("/recommend/playlist", json={"text": text, "name": "mine.m3u8",
                                                       "k": 12})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["results"]) == 12
    assert not {r["track_id"] for r in body["results"]} & set(some_ids)
    assert [s["track_id"] for s in body["seeds"]] == some_ids
    bad = client.post("/recommend/playlist", json={"text": "a,b\n1,2\n", "name": "x.csv"})
    assert bad.status_code == 400 and "needs a title" in bad.json()["error"]
    none = client.post("/recommend/playlist",
                       json={"text": "title,artist\nSong Nobody Wrote,Nobody Known\n"})
    assert none.status_code == 404


def test_spotify_playlist_link(capsys, _shared_cache, spotify_env, rec,  # noqa: F811
                               some_ids):
    spotify_env.playlists["pl9"] = {"name": "mine", "public": True, "batches": 0,
                                    "items": [f"spotify:track:{t}" for t in some_ids[:3]]
                                    + ["spotify:track:0000000000000000000Out"]}
    code, out, err = cli(capsys, "recommend", "--playlist",
                         "https://open.spotify.com/playlist/pl9?si=x", "--format", "json")
    assert code == 0, err
    assert "3 of the 4 tracks" in err and "Outside Song - Nobody Known" in err
    assert not {r["track_id"] for r in json.loads(out)} & set(some_ids[:3])
    code, out, err = cli(capsys, "recommend", "--playlist",
                         "https://open.spotify.com/playlist/missing")
    assert code != 0 and "public playlists only" in err
