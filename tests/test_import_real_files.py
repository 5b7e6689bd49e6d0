"""Imports that survive real files: the problems public track tables have, written by hand
in tests/fixtures/messy_tracks.csv (a bracketed artist name, the same track as a URI and
as a bare id, year 0, durations in seconds, a word where a number belongs, an out-of-range
value, an unknown flag, a row without features, missing year and popularity)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from musicrec.cli import run
from musicrec.data.importers.mapped import read_mapped
from musicrec.errors import DataFileError, InvalidArgumentError
from tests.conftest import FIXTURES

MESSY = FIXTURES / "messy_tracks.csv"
MAPPING = {"id": "track_uri", "title": "track_name", "artist": "artist_name",
           "album": "album_name"}
RICK = "4uLU6hMCjMI75M1A2tKUQC"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_problem_is_counted_and_nothing_stops():
    result = read_mapped(MESSY, MAPPING, source="messy", units={"duration": "s"})
    tracks, report = result.tracks.set_index("track_id"), result.report
    assert report.rows_read == 8 and report.rows_kept == 6 == len(tracks)
    # ids in any Spotify form are stored bare; the second copy of one track is skipped
    assert RICK in tracks.index and "6habFhsOp2NvshLv26DqMb" in tracks.index
    assert report.skipped["the same track id as an earlier row (the first is kept)"] == 1
    assert tracks.loc[RICK, "album"] == "Whenever You Need Somebody"  # the first row kept
    # a name in square brackets is a name, not a broken list
    assert tracks.loc["3Zx9LeMzQkGcBvWGSIRPKG", "artists"] == ["[:SITD:]"]
    assert tracks.loc["2dLLR6qlu5UJ5gk0dKz0h3", "artists"] == ["[Hidden] Band"]
    assert tracks.loc["6habFhsOp2NvshLv26DqMb", "artists"] == ["Luis Fonsi", "Daddy Yankee"]
    # year 0 and empty / NA cells are unknown, never 0
    unknown = tracks.loc["1qDrWA6lyx8cLECdZE7TV7"]
    assert pd.isna(unknown["year"]) and pd.isna(unknown["popularity"])
    assert pd.isna(tracks.loc["0KKkJNfGyhkQ5aFogxQAPU", "popularity"])
    # seconds converted; bad cells missing and counted with their raw value
    assert tracks.loc[RICK, "duration_ms"] == 213_000
    assert pd.isna(tracks.loc["0KKkJNfGyhkQ5aFogxQAPU", "energy"])
    assert pd.isna(tracks.loc["2dLLR6qlu5UJ5gk0dKz0h3", "danceability"])
    assert pd.isna(tracks.loc["2dLLR6qlu5UJ5gk0dKz0h3", "explicit"])
    assert report.missing == {("energy", "not a number"): 1, ("danceability", "outside 0..1"): 1,
                              ("explicit", "not true or false"): 1}
    assert report.skipped["no audio feature value"] == 1
    lines = "\n".join(report.summary())
    assert "row 7, column 'energy': 'loud' (not a number)" in lines
    assert "row 9, column 'danceability': '1.70' (outside 0..1)" in lines
    assert "1 cells of 'year' were 0: read as unknown" in lines
    assert "2 cells of 'artist_name' start with '['" in lines


def test_units_are_checked_and_columns_can_be_left_out():
    plain = read_mapped(MESSY, MAPPING)
    assert any("looks like seconds" in w and "--unit duration=s" in w
               for w in plain.report.warnings)
    assert not read_mapped(MESSY, MAPPING, units={"duration": "s"}).report.warnings
    left = read_mapped(MESSY, {**MAPPING, "year": "", "duration": ""})
    assert left.tracks["year"].isna().all() and left.tracks["duration_ms"].isna().all()
    assert left.report.left_out == ["year", "duration_ms"]
    with pytest.raises(InvalidArgumentError, match="unknown unit 'hours'"):
        read_mapped(MESSY, MAPPING, units={"duration": "hours"})
    with pytest.raises(InvalidArgumentError, match="--unit is for"):
        read_mapped(MESSY, MAPPING, units={"tempo": "s"})
    percent = read_mapped(MESSY, MAPPING, units={"energy": "percent"}).tracks
    assert percent.loc[percent["track_id"] == RICK, "energy"].item() == pytest.approx(0.0094)


def test_strict_and_duplicate_rules_stop_with_file_row_and_column():
    with pytest.raises(DataFileError) as info:
        read_mapped(MESSY, MAPPING, strict=True)
    assert info.value.row in (7, 9) and str(MESSY) in str(info.value)
    with pytest.raises(DataFileError, match=r"track id '4uLU6hMCjMI75M1A2tKUQC' appears "
                                            r"twice \(rows 2 and 5\)") as info:
        read_mapped(MESSY, MAPPING, on_duplicate="error")
    assert info.value.column == "track_uri"  # the file's column, not ours


def test_identical_rows_without_ids(tmp_path):
    path = tmp_path / "union.csv"
    path.write_text("Title,Artist,Energy\nA,X,0.5\nB,Y,0.6\nA,X,0.5\n")
    result = read_mapped(path, {})
    assert len(result.tracks) == 2 and result.tracks["track_id"].is_unique
    assert result.report.skipped["identical to an earlier row (the first is kept)"] == 1
    with pytest.raises(DataFileError, match=r"rows 2 and 4 are identical \(no id column"):
        read_mapped(path, {}, on_duplicate="error")


def test_import_search_recommend_and_every_dataset_command(capsys, monkeypatch, model):
    """Through the command line as a user would: the summary, search with missing years,
    an id given as a URI or URL, other model kinds on the imported name, the list."""
    monkeypatch.setenv("COLUMNS", "250")  # tables on one line each
    code, _, err = cli(capsys, "import", str(MESSY), "--name", "messy", "--map",
                       "id=track_uri", "--map", "title=track_name", "--map",
                       "artist=artist_name", "--map", "album=album_name", "--unit", "duration=s")
    flat = " ".join(err.split())
    assert code == 0, err
    assert "8 rows read, 6 tracks kept" in flat and "'loud' (not a number)" in flat
    assert "[:SITD:]" not in flat or "not a list" not in flat
    code, out, err = cli(capsys, "search", "nobodies", "--dataset", "messy")
    assert code == 0, err
    assert "Unknown Year Song" in out and "The Nobodies" in out
    code, out, _ = cli(capsys, "search", "sitd", "--dataset", "messy")
    assert "[:SITD:]" in out  # shown verbatim, not eaten as markup
    for seed in (f"spotify:track:{RICK}", f"https://open.spotify.com/track/{RICK}?si=abc", RICK):
        code, out, err = cli(capsys, "recommend", seed, "--dataset", "messy", "--k", "3",
                             "--format", "json")
        assert code == 0, err
        assert RICK not in out and len(json.loads(out)) == 3
    code, out, err = cli(capsys, "recommend", RICK, "--dataset", "messy", "--model", "original",
                         "--k", "2", "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)) == 2
    code, _, err = cli(capsys, "build", "--dataset", "messy", "--model", "original")
    assert code == 0 and "messy" in err
    code, out, err = cli(capsys, "datasets")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "messy" in flat and "imported" in flat and "spotify_songs" in flat
    code, out, _ = cli(capsys, "info", "--dataset", "messy")
    flat = " ".join(out.split())
    assert "transferred" in flat and "spotify_songs" in flat and "imputed" in flat
    code, _, err = cli(capsys, "evaluate", "--dataset", "messy")
    assert code == 1 and "has no playlists" in err
    code, _, err = cli(capsys, "recommend", "x", "--dataset", "nope")
    assert code == 1 and "unknown dataset 'nope'" in err and "messy" in err


def test_transferred_style_saves_loads_and_embeds_alike(model, tmp_path):
    """The borrowed style survives the model file: a loaded model embeds its own tracks as
    the build did, reads our values scaled as in the source, and says what was imputed."""
    from musicrec.data.catalog import Catalog
    from musicrec.model.build import build_model
    from musicrec.model.store import load_model

    result = read_mapped(MESSY, MAPPING, units={"duration": "s"})
    built = build_model(Catalog.from_import(result), tmp_path / "m", "style",
                        transfer=lambda: model, dataset="messy")
    loaded = load_model(built.path)
    space = loaded.space
    assert space.style is not None and space.style_input_["origin"] == "spotify_songs"
    assert space.style_input_["features"] == model.space.features_
    # this table has no instrumentalness, key, loudness, mode, speechiness or liveness
    by_feature = space.style_input_["imputed_by_feature"]
    assert by_feature["key"] == 1.0 and by_feature["instrumentalness"] == 1.0
    assert "energy" in space.features_ and "key" not in space.features_
    again = space.transform(loaded.catalog.tracks)
    assert np.allclose(again, np.asarray(loaded.vectors), atol=1e-6)
    assert space.dims_ == len(space.features_) + model.space.style_model_.dims_


LARGE = FIXTURES / "large_tables"


def test_the_large_public_tables_import_as_they_are(capsys):
    """Rows written by hand in the exact formats of the Kaggle "Spotify 1.2M songs"
    tracks_features.csv and the 114k "Spotify Tracks Dataset" dataset.csv: no mapping
    needed, list literals and ';'-joined artists parsed, a track listed once per genre
    kept once with all its genres."""
    million = read_mapped(LARGE / "tracks_features.csv", {})
    tracks = million.tracks.set_index("track_id")
    assert len(tracks) == 3 and million.report.problems == 0
    bomb = tracks.loc["0O1Idt1wy9AN7JhHdCFALM"]
    assert bomb["name"] == "Calm Like a Bomb, Live"
    assert list(bomb["artists"]) == ["Rage Against The Machine", "Zack de la Rocha"]
    assert bomb["year"] == 1999 and bomb["release_date"] == "1999-11-02"
    assert bool(tracks.loc["1wsRitfRRtWyEapl0q22o8", "explicit"])
    assert tracks.loc["7lmeHLHBe4nmXzuXc0HDjk", "instrumentalness"] == pytest.approx(1.09e-05)
    small = read_mapped(LARGE / "dataset.csv", {})
    tracks = small.tracks.set_index("track_id")
    assert len(tracks) == 3
    assert list(tracks.loc["5SuOikwiRyPMVoIQDJUgSV", "genres"]) == ["acoustic", "j-pop"]
    assert list(tracks.loc["1iJBSr7s7jYXzM8EZcbK5b", "artists"]) == ["Ingrid Michaelson",
                                                                     "ZAYN"]
    assert tracks.loc["4qPNDBW1i3p13qLCt0Ki3A", "album"] == "Ghost (Acoustic)"
    assert small.report.columns["name"] == ("track_name", "by name")
    code = run(["import", str(LARGE / "dataset.csv"), "--name", "tracks114k", "--model",
                "original"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "keep the genres of all their rows" in err
    code = run(["recommend", "--dataset", "tracks114k", "--model", "original", "Comedy",
                "-k", "2", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {r["name"] for r in json.loads(out)} == {"Ghost - Acoustic", "To Begin Again"}


@pytest.mark.parametrize("path, mapping, units", [
    (MESSY, MAPPING, {"duration": "s"}),
    (LARGE / "dataset.csv", {}, {}),  # a track's genres on rows of different chunks
    (LARGE / "tracks_features.csv", {}, {}),
])
def test_reading_in_chunks_gives_the_table_and_report_of_one_read(path, mapping, units):
    """A big table is read a chunk at a time; duplicates across chunks, joined genres,
    row numbers of bad cells, notes counted over chunks and unit checks come out as from
    reading the file whole."""
    whole = read_mapped(path, mapping, units=units, chunk_rows=10**9)
    for rows in (1, 2, 3):
        chunked = read_mapped(path, mapping, units=units, chunk_rows=rows)
        pd.testing.assert_frame_equal(chunked.tracks, whole.tracks)
        assert chunked.report.to_dict() == whole.report.to_dict()
        assert chunked.report.summary() == whole.report.summary()


def test_units_are_checked_on_the_whole_column_when_read_in_chunks(tmp_path):
    """A duration column in seconds is warned about even when no one chunk shows it."""
    lines = ["title,energy,duration"] + [f"Song {i},0.5,{200 + i}" for i in range(9)]
    path = tmp_path / "seconds.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read_mapped(path, {}, chunk_rows=2)
    assert any("looks like seconds" in w for w in result.report.warnings)
    assert result.report.rows_read == 9 == len(result.tracks)


def test_a_parquet_table_is_read_in_chunks_too(tmp_path):
    whole = read_mapped(MESSY, MAPPING, units={"duration": "s"})
    path = tmp_path / "messy.parquet"
    pd.read_csv(MESSY, dtype=str).to_parquet(path)
    chunked = read_mapped(path, MAPPING, units={"duration": "s"}, chunk_rows=3)
    pd.testing.assert_frame_equal(chunked.tracks.drop(columns="source"),
                                  whole.tracks.drop(columns="source"))
    # a Parquet file has no header row: its first row is row 1
    assert "row 6, column 'energy': 'loud' (not a number)" in "\n".join(
        chunked.report.summary())


def test_a_long_import_ends_with_its_time_and_peak_memory(capsys, monkeypatch):
    """Long steps end with what they cost (shown after SHOW_TOTALS_AFTER seconds)."""
    import re

    from musicrec.cli import options

    monkeypatch.setattr(options, "SHOW_TOTALS_AFTER", 0.0)
    code, _, err = cli(capsys, "import", str(MESSY), "--name", "messy_totals", "--model",
                       "original", *[f"--map={k}={v}" for k, v in MAPPING.items()],
                       "--unit", "duration=s")
    assert code == 0, err
    found = re.search(r"done in ([\d.]+) s; peak memory ([\d.,]+) (MB|GB)", err)
    assert found, err
    megabytes = float(found[2].replace(",", "")) * (1000 if found[3] == "GB" else 1)
    assert 20 < megabytes < 20_000, err


MORE = FIXTURES / "more_tables"


def test_a_location_that_is_a_place_is_never_taken_for_a_file(capsys, tmp_path):
    """The Million Song Dataset's `location` is the artist's home town: it is not read as
    the tracks' file location (the summary says so), so no playlist points at a town."""
    result = read_mapped(MORE / "msd_subset.csv", {})
    assert result.tracks["location"].isna().all()
    assert "location" not in result.report.columns
    assert any("'location' was not read as the tracks' file location" in n
               and "--map location=location" in n for n in result.report.notes)
    code = run(["import", str(MORE / "msd_subset.csv"), "--name", "msd", "--model",
                "original", "--unit", "duration=s"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "was not read as the tracks' file location" in " ".join(err.split())
    playlist = tmp_path / "soul.m3u8"
    code = run(["recommend", "Soul Deep", "--dataset", "msd", "--model", "original", "-k",
                "4", "--export", str(playlist)])
    _, err = capsys.readouterr()
    assert code == 0, err
    text = playlist.read_text()
    for place in ("Paris", "France", "London", "California"):
        assert place not in text
    # nor at Spotify: these ids are not Spotify's, so the entries say they have no link
    assert "open.spotify.com" not in text and "#EXTINF" not in text
    assert text.count("# no file or link: ") == 4
    # a column of real paths is still taken by name; mapped by hand, a town goes missing
    rows = ["title,energy,location", "A,0.5,/music/a.flac", "B,0.6,Music/b.mp3",
            "C,0.7,file:///srv/c.ogg", "D,0.4,"]
    (tmp_path / "paths.csv").write_text("\n".join(rows) + "\n")
    paths = read_mapped(tmp_path / "paths.csv", {})
    assert paths.report.columns["location"] == ("location", "by name")
    assert list(paths.tracks["location"].fillna("-")) == [
        "/music/a.flac", "Music/b.mp3", "file:///srv/c.ogg", "-"]
    mapped = read_mapped(MORE / "msd_subset.csv", {"location": "location"})
    assert mapped.tracks["location"].isna().all()
    assert mapped.report.missing[("location", "not a file path or URI")] == 4


@pytest.mark.parametrize("name, expected", [
    ("hit_songs.csv", {"name": "track", "track_id": "uri", "artists": "artist"}),
    ("billboard_audio_features.csv", {
        "name": "song", "track_id": "spotify_track_id", "artists": "performer",
        "album": "spotify_track_album", "genres": "spotify_genre",
        "duration_ms": "spotify_track_duration_ms", "popularity": "spotify_track_popularity"}),
])
def test_hit_song_tables_import_without_a_mapping(name, expected):
    """The names many Kaggle and TidyTuesday tables use (track, song, uri, performer,
    spotify_track_*) are found without --map."""
    result = read_mapped(MORE / name, {})
    for canonical, column in expected.items():
        assert result.report.columns[canonical] == (column, "by name")
    tracks = result.tracks.set_index("track_id")
    if name == "hit_songs.csv":
        assert tracks.loc["2ZyuwVvV6Z3XJaXIFbspeE", "name"] == "Wild Things"
        assert list(tracks.loc["61APOtq25SCMuK0V5w2Kgp", "artists"]) == ["Esquivel!"]
    else:
        andy = tracks.loc["4hIRDTdKAmEmlCwhGkHUnN"]
        assert andy["album"] == "The Essential Andy Williams" and andy["popularity"] == 38
        assert "lounge" in list(andy["genres"]) and andy["duration_ms"] == 167_186
        assert result.report.skipped["no audio feature value"] == 1


def test_no_library_warning_reaches_the_terminal(tmp_path):
    """A genre whose tracks all lack a feature once printed NumPy's "Mean of empty slice"
    in the middle of an import; now the means are NaN without a warning, and the CLI keeps
    any library's warnings for --debug."""
    import os
    import subprocess
    import sys
    import warnings

    from musicrec.data.catalog import Catalog
    from musicrec.data.profiles import genre_profiles

    rows = ["title,artist,genre,energy,tempo", "A,X,rock,0.5,120", "B,Y,rock,0.6,",
            "C,Z,jazz,0.2,", "D,W,jazz,0.3,", "E,V,pop,0.9,100", "F,U,pop,0.8,90"]
    path = tmp_path / "empty_genre.csv"
    path.write_text("\n".join(rows) + "\n")
    catalog = Catalog.from_import(read_mapped(path, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profiles = genre_profiles(catalog, ["energy", "tempo"]).set_index("genres")
    assert np.isnan(profiles.loc["jazz", "tempo"])
    assert profiles.loc["pop", "tempo"] == 95 and profiles.loc["jazz", "energy"] == 0.25
    env = {**os.environ, "PYTHONWARNINGS": "always", "MUSICREC_CACHE_DIR": str(tmp_path)}
    # a library warning raised on purpose inside the command: hidden, shown with --debug
    code = ("import warnings, sys; from musicrec.cli import run; import musicrec.data.profiles"
            " as p; old = p.genre_profiles\n"
            "def loud(*a, **k):\n    warnings.warn('Mean of empty slice', RuntimeWarning)\n"
            "    return old(*a, **k)\n"
            "p.genre_profiles = loud\n"
            "sys.exit(run(sys.argv[1:]))")
    for debug in ((), ("--debug",)):
        done = subprocess.run([sys.executable, "-c", code, "import", str(path), "--name",
                               "empty", "--model", "original", *debug],
                              capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        assert ("Mean of empty slice" in done.stderr) == bool(debug), done.stderr
