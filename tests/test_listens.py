"""Listening data: each format read from rows written in its exact layout (and the real
Last.fm HetRec file), matched to the default catalog, kept in the cache, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicrec.cli import run
from musicrec.data.catalog import Catalog
from musicrec.data.interactions import UserItems, user_items
from musicrec.data.interactions.matching import match_to_catalog
from musicrec.data.interactions.readers import detect, read_listens
from musicrec.data.interactions.store import read_listens_named, save_listens
from musicrec.errors import DataFileError, InvalidArgumentError
from tests.conftest import FIXTURES

LISTENS = FIXTURES / "listens"


@pytest.fixture(scope="module")
def catalog(songs_import) -> Catalog:
    return Catalog.from_import(songs_import)


def test_kaggle_playlists_file_counts_bad_rows_and_matches(catalog):
    path = LISTENS / "spotify_dataset.csv"
    assert detect(path) == "spotify-playlists"
    listens = match_to_catalog(read_listens(path), catalog, "spotify_songs")
    report = listens.report
    assert report.rows_read == 8
    assert report.skipped == {"5 fields instead of 4": 1, "no artist or track name": 1}
    assert report.examples[0][0] == 6  # the file's line of the row with an extra field
    assert report.fixed == {"a stray quote inside a field (kept as written)": 1}
    assert report.events == 6 and report.users == 2 and report.items == 6
    frame = listens.to_frame()
    assert set(frame["user"]) == {"9cc0cfd4d7d7885102480dd99e7a90d6 / HARD ROCK 2010",
                                  "07f0fc3be95dcd878966b1f9572ff670 / iPhone"}
    # "Shape of You" by title and artist; its "- Remastered" title as a version of it
    shape = catalog.column("track_id")[catalog.match_text("Shape of You - Ed Sheeran").rows[0]]
    matched = frame.dropna(subset=["track_id"])
    assert list(matched["track_id"]) == [shape, shape]
    assert report.matched_by == {"title and artist": 1, "version of the song": 1}
    assert report.match_rate == pytest.approx(2 / 6)
    # unmatched items stay, with their title and artist; a stray quote stays in its field
    assert "7 Years Too Late" in set(frame["title"])
    assert 'Bad "quote" Artist' in set(frame["artist"])
    assert frame.loc[frame["title"] == "7 Years Too Late", "track_id"].isna().all()


def test_wrong_header_is_a_one_line_error():
    from musicrec.data.interactions import spotify_playlists

    with pytest.raises(DataFileError, match="expected the header") as info:
        spotify_playlists.read(LISTENS / "plays.csv")
    assert "plays.csv" in str(info.value) and "\n" not in str(info.value)


def test_listenbrainz_dump(catalog):
    path = LISTENS / "listenbrainz.jsonl"
    assert detect(path) == "listenbrainz"
    listens = match_to_catalog(read_listens(path), catalog, "spotify_songs")
    report = listens.report
    assert report.rows_read == 5 and report.events == 3
    assert sum(report.skipped.values()) == 2
    assert {e[0] for e in report.examples} == {3, 5}  # the broken line, the listen without a title
    frame = listens.to_frame()
    assert list(frame["user"]) == ["rob", "rob", "ana"]
    assert list(frame["time"]) == [1600000000, 1600000300, 1600000200]  # 2020-09-13T12:30:00Z
    # bad guy by its Spotify link, Shape of You by title and artist; the demo stays unmatched
    assert frame["track_id"].iloc[0] == "2Fxmhks0bxGSBdJ92vM42m"
    assert report.matched_by == {"id": 1, "title and artist": 1}
    assert listens.items["source_id"].iloc[2] == "b0ff8c4a-0000-4000-8000-00000000000b"


def test_any_csv_by_mapping(catalog):
    path = LISTENS / "plays.csv"
    listens = read_listens(path, mapping={"user": "Listener", "title": "Song",
                                          "artist": "Performer", "weight": "Plays",
                                          "time": "When"})
    report = listens.report
    assert report.events == 4 and report.skipped == {"no user, or neither a title nor an id": 1}
    assert report.fixed == {"weight not a number >= 0, taken as 1": 1}
    frame = listens.to_frame()
    assert list(frame["weight"]) == [12.0, 1.0, 3.0, 2.0]
    assert frame["time"].iloc[0] == 1614592800 and frame["time"].iloc[2] == 1614600000
    assert frame["time"].isna().iloc[3]
    matrix = user_items(match_to_catalog(listens, catalog, "spotify_songs"), catalog)
    assert matrix.users == ["u1", "u2"] and matrix.n_pairs == 3  # the unheard song is out
    assert matrix.matrix.sum() == pytest.approx(16.0)


def test_mapping_names_missing_columns():
    with pytest.raises(DataFileError, match="Nope"):
        read_listens(LISTENS / "plays.csv", mapping={"user": "Nope", "title": "Song"})
    with pytest.raises(DataFileError, match="needs a user column"):
        read_listens(LISTENS / "plays.csv", mapping={"user": "", "title": "Song"})
    with pytest.raises(InvalidArgumentError, match="--map takes"):
        read_listens(LISTENS / "plays.csv", mapping={"song": "Song"})


def test_lastfm_hetrec_real_file(data_dir, catalog):
    folder = data_dir / "lastfm_hetrec2011_2k"
    listens = match_to_catalog(read_listens(folder), catalog, "spotify_songs")
    report = listens.report
    assert (report.rows_read, report.events, report.users, report.items) == (
        92_834, 92_834, 1_892, 17_632)
    assert listens.artist_level
    assert report.matched_by["artist name"] == report.matched_items > 1_000
    top = listens.to_frame().sort_values("weight").iloc[-1]
    assert top["weight"] > 100_000 and isinstance(top["artist"], str)


def test_catalog_playlists_as_listens(catalog):
    from musicrec.data.interactions import catalog_playlists

    listens = catalog_playlists.read(catalog, "spotify_songs")
    # 32,833 rows in the file; 582 repeat a track in the same playlist
    assert listens.report.users == 471 and listens.report.events == 32_251
    assert listens.report.match_rate == 1.0
    matrix = user_items(listens, catalog)
    assert matrix.n_users == 471 and len(matrix.warm_rows()) == len(catalog)


def test_saved_listens_read_back_equal(tmp_path, catalog):
    listens = match_to_catalog(read_listens(LISTENS / "listenbrainz.jsonl"), catalog,
                               "spotify_songs")
    save_listens(tmp_path, "lb", listens)
    again = read_listens_named(tmp_path, "lb")
    assert again.to_frame().equals(listens.to_frame())
    assert again.report.dataset == "spotify_songs"
    with pytest.raises(InvalidArgumentError, match="imported: lb"):
        read_listens_named(tmp_path, "other")


def test_user_items_from_groups():
    matrix = UserItems.from_groups({"a": np.array([0, 2]), "b": np.array([2]),
                                    "c": np.array([], dtype=np.int64)}, 4)
    assert matrix.users == ["a", "b"] and matrix.n_pairs == 3
    assert list(matrix.warm_rows()) == [0, 2]
    assert {u: list(r) for u, r in matrix.groups().items()} == {"a": [0, 2], "b": [2]}


def test_import_listens_cli(capsys, cache_dir):
    code = run(["import-listens", str(LISTENS / "spotify_dataset.csv"), "--name", "kaggle"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "skipped 1 rows: 5 fields instead of 4" in err
    assert "33.3% of the events" in err and "--listens kaggle" in err
    assert (cache_dir / "listens" / "kaggle" / "listens.json").is_file()
    code = run(["import-listens", str(LISTENS / "missing.csv"), "--name", "x"])
    out, err = capsys.readouterr()
    assert code != 0 and "does not exist" in err and "Traceback" not in err


def test_artist_task_on_lastfm(data_dir, model):
    """Held-out Last.fm users' artists: ALS (what listeners share) must beat the most
    played artists, and the scores must be real fractions."""
    from musicrec.evaluation.artists import artist_task, evaluate_artists

    listens = read_listens(data_dir / "lastfm_hetrec2011_2k")
    task = artist_task(listens, model.catalog, model.vectors)
    assert 1_000 < len(task.names) < 17_632
    assert np.allclose(np.linalg.norm(task.content, axis=1), 1.0, atol=1e-5)
    scores, sizes = evaluate_artists(task, seed=0)
    assert sizes["test_users"] > 100
    assert set(scores) == {"popularity", "als", "content", "hybrid"}
    assert scores["als"]["r_precision"] > scores["popularity"]["r_precision"] > 0
    assert 0 < scores["content"]["r_precision"] < 1
    assert scores["hybrid"]["share"] in {round(s / 10, 1) for s in range(11)}


def test_evaluate_listens_cli(capsys, data_dir):
    code = run(["import-listens", str(data_dir / "lastfm_hetrec2011_2k"), "--name", "fm"])
    capsys.readouterr()
    assert code == 0
    code = run(["evaluate", "--listens", "fm"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Artist task" in out and "als" in out and "content" in out
    code = run(["evaluate", "--listens", "kaggle-missing"])
    out, err = capsys.readouterr()
    assert code != 0 and "no imported listening data called 'kaggle-missing'" in err


def test_build_and_recommend_from_imported_listens(capsys, monkeypatch):
    """A model learned from a user's own plays, through the CLI."""
    monkeypatch.setenv("COLUMNS", "250")
    code = run(["import-listens", str(LISTENS / "plays.csv"), "--name", "plays",
                "--map", "user=Listener", "--map", "title=Song", "--map", "artist=Performer",
                "--map", "weight=Plays"])
    capsys.readouterr()
    assert code == 0
    code = run(["build", "--listens", "plays"])
    out, err = capsys.readouterr()
    assert code != 0 and "--model hybrid" in err  # the style model learns no plays
    code = run(["build", "--model", "als", "--listens", "plays"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "3 (user, track) pairs of 2 users or playlists on 2 tracks" in err
    code = run(["info", "--model", "als"])
    out, err = capsys.readouterr()
    assert code == 0 and "listening data 'plays'" in out  # kept for a rebuild, too
    code = run(["recommend", "--model", "als", "bad guy - Billie Eilish", "--format", "json",
                "--artist-cap", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [r["name"] for r in json.loads(out)] == ["Shape of You"]  # the only other track
    code = run(["recommend", "--model", "als", "Blinding Lights"])
    out, err = capsys.readouterr()
    assert code != 0 and "none of the seeds is in the listening data" in err


def test_a_stray_quote_never_swallows_the_next_line(tmp_path):
    path = tmp_path / "spotify_dataset.csv"
    path.write_text('"user_id", "artistname", "trackname", "playlistname"\n'
                    '"u1","B","T","pl"" stray\n'
                    '"u2","C","Song ""Q""","pl2"\r\n'
                    '"u3","D","x\n'
                    '"u4","A","Title "Live" Version","pl"\n')
    listens = read_listens(path)
    frame = listens.to_frame()
    assert list(frame["title"]) == ['Song "Q"', 'Title "Live" Version']
    assert [e[0] for e in listens.report.examples] == [2, 4]
    assert listens.report.skipped == {"not a quoted line": 2}
