"""Recognising versions of one song, and no list holding two of them."""

import re

import numpy as np
import pytest

from musicrec.data.text import base_title, fold, version_key


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
        ("Drip Too Hard (Lil Baby & Gunna)", "drip too hard"),
        ("Nervous (The Ooh Song) - Mark McCabe Remix", "nervous"),
        ("Nervous - The Ooh Song: Mark McCabe Remix", "nervous"),
        ("My Neck, My Back (Lick It)", "my neck my back"),
        ("Shout At The Devil - International", "shout at the devil"),
        ("Amantes - Versión Salsa", "amantes"),
        ("Make A Move - Pt. 2", "make a move pt 2"),  # a part of a work is its own song
        ("(I Can't Get No) Satisfaction", "satisfaction"),
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


def _same_song_key(title: str) -> str:
    """The test's own reading of a title: brackets and dashed suffixes dropped, except a
    part number ("- Pt. 2")."""
    text = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", "", title).strip() or title
    parts = re.split(r"\s+[-–—]\s+", text)
    kept = [parts[0]] + [p for p in parts[1:2]
                         if re.fullmatch(r"(?i)(pt\.?|part|vol\.?)\s*(\d+|[ivx]+)", p.strip())]
    return fold(" ".join(kept))


def test_no_list_holds_two_versions_of_one_song(rec):
    """Every catalog track as a seed (28,356 lists of 10): no list holds the seed's
    version or two versions of one song (same primary artist, same title once brackets
    and dashed suffixes are dropped). Before this rule 96 lists did."""
    catalog = rec.catalog
    names, ids, artists = catalog.column("name"), catalog.column("track_id"), catalog.artist_codes
    keys = [None if n is None else (artists[i], _same_song_key(n)) for i, n in enumerate(names)]
    answers = rec.recommend_batch([[str(t)] for t in ids], k=10)
    leaks = []
    for seed, answer in enumerate(answers):
        rows = [seed, *catalog.rows_of([r.track_id for r in answer.results]).tolist()]
        listed = [keys[r] for r in rows if keys[r] is not None]
        if len(set(listed)) < len(listed):
            leaks.append([names[r] for r in rows])
    assert len(answers) == len(catalog) and all(len(a) == 10 for a in answers)
    assert leaks == [], f"{len(leaks)} lists, e.g. {leaks[:3]}"
    assert np.mean([len({r.artists[0] for r in a.results}) for a in answers[:500]]) > 5
