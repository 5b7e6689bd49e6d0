"""Resolving seeds: ids, Spotify links, exact titles, "title - artist", fuzzy text."""

from __future__ import annotations

import pytest

from musicrec import InvalidArgumentError, Seed, UnknownTrackError
from musicrec.recommend.seeds import parse_seed, spotify_track_id

WEEKND = "0sf12qNH5qcw8qpgymFOqD"


def test_exact_title_takes_most_popular_and_names_the_others(rec):
    seed = rec.resolve("Blinding Lights")
    assert seed.track_id == WEEKND and seed.how == "exact"
    assert any("Lucas Estrada" in alt for alt in seed.alternatives)
    notice = seed.notice()
    assert "The Weeknd" in notice and "Lucas Estrada" in notice


def test_title_artist(rec):
    seed = rec.resolve("Blinding Lights - Lucas Estrada")
    assert seed.track_id == "7JAo7wy8BzmP9smtTJ3fuU"
    assert rec.resolve("Shape of You by Ed Sheeran").label.startswith("Shape of You - Ed Sheeran")


@pytest.mark.parametrize(
    "text",
    [
        WEEKND,
        f"spotify:track:{WEEKND}",
        f"https://open.spotify.com/track/{WEEKND}",
        f"https://open.spotify.com/intl-de/track/{WEEKND}?si=abc123",
    ],
)
def test_ids_and_links(rec, text):
    seed = rec.resolve(text)
    assert seed.track_id == WEEKND
    assert seed.notice() is None


def test_fuzzy_typo_is_taken_and_said(rec):
    seed = rec.resolve("Blindng Lights")
    assert seed.track_id == WEEKND and seed.how == "fuzzy"
    assert "closest match" in seed.notice()


def test_nothing_fits_lists_closest(rec):
    with pytest.raises(UnknownTrackError) as info:
        rec.resolve("Blinding Lightz of Qwertyuiop Zzz")
    assert info.value.candidates
    assert "Closest matches" in str(info.value)


def test_unknown_link_and_empty(rec):
    with pytest.raises(UnknownTrackError, match="not in the catalog"):
        rec.resolve("spotify:track:0000000000000000000000")
    with pytest.raises(InvalidArgumentError, match="empty"):
        rec.resolve("   ")


def test_parse_seed_weights():
    assert parse_seed("Shape of You:2") == Seed("Shape of You", 2.0)
    assert parse_seed(f"spotify:track:{WEEKND}") == Seed(f"spotify:track:{WEEKND}", 1.0)
    assert parse_seed("Hello:0.5") == Seed("Hello", 0.5)
    with pytest.raises(InvalidArgumentError, match="above 0"):
        parse_seed("Hello:0")
    assert spotify_track_id("not a link") is None


def test_search_finds_title_and_artist(rec):
    hits = rec.search("bad guy", limit=5)
    assert hits.loc[0, "name"] == "bad guy" and hits.loc[0, "artists"] == ["Billie Eilish"]
    by_artist = rec.search("Billie Eilish", limit=10)
    assert sum("Billie Eilish" in a for a in by_artist["artists"]) >= 5
    with pytest.raises(InvalidArgumentError):
        rec.search("", 5)


def test_a_plain_title_takes_the_original_across_versions(rec):
    """"Wonderwall": Oasis's "Wonderwall - Remastered" (popularity 79) over a cover
    titled exactly "Wonderwall" (62); the cover is named as an alternative, and the
    list that follows is not the cover's."""
    seed = rec.resolve("Wonderwall")
    assert seed.label.startswith("Wonderwall - Remastered - Oasis") and seed.how == "version"
    assert any("Lucky Luke" in a for a in seed.alternatives)
    assert rec.resolve("Wonderwall - Lucky Luke").label.startswith("Wonderwall - Lucky Luke")
    named = rec.resolve("Wonderwall - Remastered")  # a version asked for by its title
    assert named.how == "exact" and "Oasis" in named.label
    result = rec.recommend("Wonderwall", k=10)
    assert result.seeds[0].track_id == seed.track_id
    assert "took Wonderwall - Remastered - Oasis" in result.notices[0]


@pytest.mark.parametrize(("typed", "expected"), [
    ("bohemian rapsody", "Bohemian Rhapsody - 2011 Mix - Queen"),
    ("피카부", "피카부 Peek-A-Boo - Red Velvet"),
    ("shape of yu", "Shape of You - Ed Sheeran"),
])
def test_typos_on_versioned_or_partial_titles_take_the_clear_leader(rec, typed, expected):
    seed = rec.resolve(typed)
    assert seed.label.startswith(expected) and seed.how == "fuzzy"
    assert "took the closest match" in seed.notice()
