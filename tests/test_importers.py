"""Importers on the real TidyTuesday table and on hand-written files in the Kaggle format."""

from __future__ import annotations

import pandas as pd
import pytest

from musicrec.data.importers.kaggle import (
    read_genre_profiles,
    read_kaggle_tracks,
    read_year_profiles,
)
from musicrec.data.importers.mapped import read_mapped
from musicrec.data.lists import parse_list_literal
from musicrec.data.schema import TRACK_COLUMNS
from musicrec.errors import DataFileError, InvalidArgumentError
from tests.conftest import FIXTURES


def test_tidytuesday_counts(songs_import):
    tracks = songs_import.tracks
    assert len(tracks) == 28_356
    assert tracks["track_id"].is_unique
    assert list(tracks.columns) == list(TRACK_COLUMNS)
    assert songs_import.playlists["playlist_id"].nunique() == 471
    # 32,833 rows, of which 582 repeat a (playlist, track) pair
    assert len(songs_import.interactions) == 32_833 - 582
    assert set(songs_import.interactions["track_id"]) == set(tracks["track_id"])


def test_tidytuesday_values_and_missing(songs_import):
    tracks = songs_import.tracks.set_index("track_id")
    weeknd = tracks.loc["0sf12qNH5qcw8qpgymFOqD"]
    assert weeknd["name"] == "Blinding Lights"
    assert weeknd["artists"] == ["The Weeknd"]
    assert weeknd["year"] == 2019
    assert 0 <= weeknd["energy"] <= 1
    # genres come from every playlist the track is in: genre and subgenre names
    assert {"pop"} <= set(weeknd["genres"])
    # the raw file has 5 rows (4 tracks) without a title or artist: kept missing
    untitled = tracks[tracks["name"].isna()]
    assert len(untitled) == 4
    assert untitled["artists"].isna().all()
    assert untitled["energy"].notna().all()
    # this dataset has no explicit flag: missing, never a silent False
    assert tracks["explicit"].isna().all()
    # years from dates written as YYYY, YYYY-MM or YYYY-MM-DD
    assert tracks["year"].between(1957, 2020).all()


def test_kaggle_data_csv_exact_format():
    result = read_kaggle_tracks(FIXTURES / "kaggle_data.csv")
    tracks = result.tracks.set_index("track_id")
    assert len(tracks) == 8
    assert tracks.loc["4BJqT0PrAfrxzMOxytFOIz", "artists"] == [
        "Sergei Rachmaninoff", "James Levine", "Berliner Philharmoniker",
    ]
    assert tracks.loc["7o2CTH4ctstm8TNelqjb51", "artists"] == ["Guns N' Roses"]
    assert tracks.loc["0bVtevEgtDIeRjCJbK3Lmv", "explicit"] == True  # noqa: E712
    assert tracks.loc["7o2CTH4ctstm8TNelqjb51", "explicit"] == False  # noqa: E712
    assert tracks.loc["4BJqT0PrAfrxzMOxytFOIz", "instrumentalness"] == pytest.approx(0.878)
    # an empty cell stays missing
    assert pd.isna(tracks.loc["0G21yYKMZoHa30cYVi1iA8", "speechiness"])
    assert tracks.loc["7o2CTH4ctstm8TNelqjb51", "year"] == 1987
    assert tracks["genres"].isna().all()  # no data_w_genres.csv given


def test_kaggle_genres_joined_by_artist():
    result = read_kaggle_tracks(
        FIXTURES / "kaggle_data.csv", FIXTURES / "kaggle_data_w_genres.csv"
    )
    tracks = result.tracks.set_index("track_id")
    assert tracks.loc["7o2CTH4ctstm8TNelqjb51", "genres"] == ["hard rock", "rock"]
    assert tracks.loc["4BJqT0PrAfrxzMOxytFOIz", "genres"] == [
        "classical", "russian romanticism",
    ]
    assert tracks.loc["7xPhfUan2yNtyFG0cUWkt8", "genres"] is None  # [] in the file


def test_kaggle_side_files(data_dir):
    genres = read_genre_profiles(data_dir / "kaggle_1921_2020" / "data_by_genres.csv")
    assert len(genres) == 2_973
    assert genres["energy"].between(0, 1).all()
    years = read_year_profiles(data_dir / "kaggle_1921_2020" / "data_by_year.csv")
    assert len(years) == 100
    assert years["year"].min() == 1921 and years["year"].max() == 2020


def test_list_literals_are_parsed_without_executing_code():
    assert parse_list_literal("['A', 'B']") == ["A", "B"]
    assert parse_list_literal('["Guns N\' Roses"]') == ["Guns N' Roses"]
    assert parse_list_literal("[]") == []
    assert parse_list_literal(float("nan")) is None
    for hostile in ("[__import__('os').system('echo hacked')]", "[1, 2]", "['a'"):
        with pytest.raises(ValueError):
            parse_list_literal(hostile)


def test_malformed_cells_name_file_row_and_column(tmp_path):
    text = (FIXTURES / "kaggle_data.csv").read_text().splitlines()
    text[3] = text[3].replace(",0.328,", ",loud,")  # danceability of data row 3 = line 4
    bad = tmp_path / "data.csv"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(DataFileError) as info:
        read_kaggle_tracks(bad)
    assert info.value.row == 4 and info.value.column == "danceability"
    assert str(bad) in str(info.value) and "'loud' is not a number" in str(info.value)

    text = (FIXTURES / "kaggle_data.csv").read_text().splitlines()
    text[2] = text[2].replace("['Dennis Day']", "\"[__import__('os')]\"")
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(DataFileError) as info:
        read_kaggle_tracks(bad)
    assert info.value.row == 3 and info.value.column == "artists"


def test_out_of_range_value_is_reported(tmp_path):
    text = (FIXTURES / "kaggle_data.csv").read_text().replace(",0.905,", ",1.905,")
    bad = tmp_path / "data.csv"
    bad.write_text(text)
    with pytest.raises(DataFileError, match=r"row 6, column 'energy'.*outside the valid range"):
        read_kaggle_tracks(bad)


def test_missing_column_and_unreadable_files(tmp_path):
    frame = pd.read_csv(FIXTURES / "kaggle_data.csv").drop(columns=["energy"])
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFileError, match="missing required column 'energy'"):
        read_kaggle_tracks(path)
    with pytest.raises(DataFileError, match="file not found"):
        read_kaggle_tracks(tmp_path / "nope.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage\x00\x9f")
    with pytest.raises(DataFileError, match="not a UTF-8 text CSV"):
        read_kaggle_tracks(binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataFileError, match="is empty"):
        read_kaggle_tracks(empty)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(DataFileError, match="not a well-formed CSV"):
        read_mapped(ragged, {"title": "a"})


def test_mapped_csv_and_parquet(tmp_path):
    mapping = {"title": "Title", "artist": "Performer", "year": "Year", "energy": "Energy",
               "danceability": "Dance", "valence": "Mood", "tempo": "BPM", "genre": "Genre"}
    result = read_mapped(FIXTURES / "my_tracks.csv", mapping, source="mine")
    tracks = result.tracks
    assert len(tracks) == 5
    assert tracks.loc[0, "artists"] == ["The Joggers"]
    assert tracks.loc[4, "artists"] == ["Earth, Wind & Friends"]  # commas stay in a name
    assert tracks.loc[0, "genres"] == ["electro", "pop"]
    assert pd.isna(tracks.loc[3, "tempo"])
    assert tracks["track_id"].is_unique and tracks["source"].eq("mine").all()
    parquet = tmp_path / "mine.parquet"
    pd.read_csv(FIXTURES / "my_tracks.csv").to_parquet(parquet)
    again = read_mapped(parquet, mapping, source="mine").tracks
    assert again["name"].tolist() == tracks["name"].tolist()
    assert again["track_id"].tolist() == tracks["track_id"].tolist()


def test_mapped_errors(tmp_path):
    with pytest.raises(InvalidArgumentError, match="unknown column 'colour'"):
        read_mapped(FIXTURES / "my_tracks.csv", {"colour": "Title"})
    with pytest.raises(DataFileError, match="column 'Nope'"):
        read_mapped(FIXTURES / "my_tracks.csv", {"title": "Nope"})
    with pytest.raises(DataFileError, match="no audio-feature columns"):
        read_mapped(FIXTURES / "my_tracks.csv", {"title": "Title", "energy": "",
                                                 "tempo": "", "valence": ""})
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("hello")
    with pytest.raises(DataFileError, match="not a valid Parquet file"):
        read_mapped(not_parquet, {"title": "Title"})
