"""Recognising versions of one song."""

import pytest

from musicrec.data.text import base_title, version_key


@pytest.mark.parametrize(
    ("title", "base"),
    [
        ("Wonderwall - Remastered", "wonderwall"),
        ("Pour Some Sugar On Me - Remastered 2017", "pour some sugar on me"),
        ("Here I Go Again 87 - 2017 Remastered Version", "here i go again 87"),
        ("Sandstorm - Radio Edit", "sandstorm"),
        ("Sandstorm (Radio Edit)", "sandstorm"),
        ("bad guy (with Justin Bieber)", "bad guy"),
        ("Beautiful People (feat. Khalid) - Jack Wins Remix", "beautiful people"),
        ("Get Lucky [feat. Pharrell Williams]", "get lucky"),
        ("Despacito ft. Justin Bieber", "despacito"),
        ("Mix Tape", "mix tape"),  # a version word inside the title itself stays
        ("Live Forever", "live forever"),
        ("With or Without You", "with or without you"),
        ("Part I - Part II", "part i part ii"),
        ("Déjà Vu", "deja vu"),
    ],
)
def test_base_title(title, base):
    assert base_title(title) == base


def test_version_key_needs_same_primary_artist():
    assert version_key("Wonderwall - Remastered", ["Oasis"]) == version_key("Wonderwall", ["Oasis"])
    assert version_key("Wonderwall", ["Oasis"]) != version_key("Wonderwall", ["Lucky Luke"])
    assert version_key(None, ["Oasis"]) is None


def test_versions_in_real_catalog(rec):
    catalog = rec.catalog
    codes = catalog.version_codes
    ed = [catalog.index_of(t) for t in ("7qiZfU4dY1lWllzX7mPBI3", "0FE9t6xYkqWXU2ahLh6D8X",
                                         "5H7CwzYZ60e7w69tX4ivQN")]  # Shape of You x3
    assert len({codes[r] for r in ed}) == 1
    eza = catalog.index_of("5ZiGdWZvv9kaWw1UFcmDur")  # Shape of You by EZA: another song
    assert codes[eza] != codes[ed[0]]
