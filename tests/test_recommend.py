"""Recommendation behaviour on the real catalog: exclusions, filters, caps, MMR, batches."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from musicrec import Catalog, Filters, InvalidArgumentError, Recommender, Seed, build_model
from musicrec.data.importers.kaggle import read_kaggle_tracks
from musicrec.errors import UnknownGenreError
from tests.conftest import FIXTURES

BAD_GUY = "2Fxmhks0bxGSBdJ92vM42m"


def _rows(rec, result):
    return [rec.catalog.index_of(r.track_id) for r in result.results]


def test_bad_guy_gives_ten_explained_tracks_no_versions(rec):
    result = rec.recommend("bad guy")
    assert len(result) == 10
    seed_code = rec.catalog.version_codes[rec.catalog.index_of(BAD_GUY)]
    codes = rec.catalog.version_codes[_rows(rec, result)]
    assert seed_code not in codes  # "bad guy (with Justin Bieber)" is a version: excluded
    assert len(set(codes)) == 10  # no two versions of one song
    assert all(r.why and r.reasons for r in result.results)
    scores = [r.score for r in result.results]
    assert scores == sorted(scores, reverse=True)
    # the explanation names real values of the track in original units
    first = result.results[0]
    row = rec.catalog.tracks.iloc[rec.catalog.index_of(first.track_id)]
    reason = first.reasons[0]
    assert reason.value == pytest.approx(float(row[reason.feature]))


def test_scores_are_cosine_similarities(rec, model):
    result = rec.recommend(BAD_GUY, k=5, artist_cap=0)
    seed = model.vectors[rec.catalog.index_of(BAD_GUY)]
    for r in result.results:
        v = model.vectors[rec.catalog.index_of(r.track_id)]
        assert r.score == pytest.approx(float(seed @ v), abs=1e-4)
    # nothing outside the results (and not a version of the seed) scores higher
    all_scores = model.vectors @ seed
    allowed = rec.catalog.version_codes != rec.catalog.version_codes[rec.catalog.index_of(BAD_GUY)]
    assert result.results[0].score == pytest.approx(float(all_scores[allowed].max()), abs=1e-4)


def test_filters_are_honoured(rec):
    t = rec.catalog.tracks
    filters = Filters(
        year=(2000, 2010), popularity=(30, 80), duration_ms=(150_000, 300_000),
        genres=["rock"], exclude_genres=["hard rock"],
    )
    result = rec.recommend("Shape of You - Ed Sheeran", k=20, filters=filters)
    assert len(result) == 20
    for row in _rows(rec, result):
        track = t.iloc[row]
        assert 2000 <= track["year"] <= 2010
        assert 30 <= track["popularity"] <= 80
        assert 150_000 <= track["duration_ms"] <= 300_000
        assert "rock" in track["genres"] and "hard rock" not in track["genres"]


def test_open_ranges_and_too_narrow_filters(rec):
    result = rec.recommend("bad guy", k=10, filters=Filters(year=(None, 1970)))
    assert all(r.year <= 1970 for r in result.results)
    tiny = rec.recommend("bad guy", k=10, filters=Filters(year=(1957, 1957)))
    assert len(tiny) < 10 and any("passed the filters" in n for n in tiny.notices)


def test_filter_errors(rec):
    with pytest.raises(InvalidArgumentError, match="start .2020. is after the end .1990."):
        Filters(year=(2020, 1990))
    with pytest.raises(InvalidArgumentError, match="0 to 100"):
        Filters(popularity=(0, 150))
    with pytest.raises(UnknownGenreError, match="closest"):
        rec.recommend("bad guy", filters=Filters(genres=["rokc"]))
    with pytest.raises(InvalidArgumentError, match="no explicit flag"):
        rec.recommend("bad guy", filters=Filters(explicit=True))


def test_artist_cap(rec):
    for cap in (1, 2):
        result = rec.recommend("bad guy", k=30, artist_cap=cap)
        counts = Counter(r.artists[0] for r in result.results)
        assert max(counts.values()) <= cap
    uncapped = rec.recommend("Blinding Lights", k=50, artist_cap=0)
    assert len(uncapped) == 50


def test_backfill_on_small_catalog(tmp_path):
    result = read_kaggle_tracks(FIXTURES / "kaggle_data.csv")
    model = build_model(Catalog.from_import(result), tmp_path / "m", dataset="kaggle-fixture")
    rec = Recommender(model)
    # 6 other songs by 5 artists (two by Guns N' Roses): a cap of 1 gives 5 distinct
    # artists, then backfills the sixth place with Guns N' Roses' second song.
    out = rec.recommend("Rolling in the Deep", k=6, artist_cap=1)
    artists = [r.artists[0] for r in out.results]
    assert len(out) == 6
    assert len(set(artists[:5])) == 5
    assert artists.count("Guns N' Roses") == 2 and artists[5] == "Guns N' Roses"
    names = [r.name for r in out.results]
    assert "Welcome To The Jungle - Remastered 2008" not in names  # a version of a result
    explicit = rec.recommend("Sweet Child O' Mine", k=3, filters=Filters(explicit=True))
    assert [r.name for r in explicit.results] == ["Welcome To The Jungle"]


def test_mmr_diversifies(rec, model):
    def spread(result):
        v = model.vectors[_rows(rec, result)]
        sims = v @ v.T
        return sims[np.triu_indices(len(v), 1)].mean()

    plain = rec.recommend("Blinding Lights", k=10, diversity=0.0)
    diverse = rec.recommend("Blinding Lights", k=10, diversity=0.7)
    assert spread(diverse) < spread(plain)
    with pytest.raises(InvalidArgumentError):
        rec.recommend("Blinding Lights", diversity=1.5)


def test_weights_and_negatives(rec, model):
    a, b = BAD_GUY, "0sf12qNH5qcw8qpgymFOqD"
    va, vb = (model.vectors[rec.catalog.index_of(t)] for t in (a, b))

    def mean_sim(result, v):
        return float(np.mean(model.vectors[_rows(rec, result)] @ v))

    towards_a = rec.recommend([Seed(a, 5.0), Seed(b, 1.0)], k=20)
    towards_b = rec.recommend([Seed(a, 1.0), Seed(b, 5.0)], k=20)
    assert mean_sim(towards_a, va) > mean_sim(towards_b, va)
    plain = rec.recommend([a], k=20)
    unlike = rec.recommend([a], k=20, negatives=["Shape of You - Ed Sheeran"])
    shape = model.vectors[rec.catalog.index_of("7qiZfU4dY1lWllzX7mPBI3")]
    assert mean_sim(unlike, shape) < mean_sim(plain, shape)
    assert "7qiZfU4dY1lWllzX7mPBI3" not in {r.track_id for r in unlike.results}
    with pytest.raises(InvalidArgumentError, match="both a seed and a negative"):
        rec.recommend([a], negatives=[a])


def test_batch_matches_single_and_similar(rec):
    sets = [["bad guy"], ["Blinding Lights", "Shape of You"], [BAD_GUY]]
    batch = rec.recommend_batch(sets, k=7)
    for seeds, answer in zip(sets, batch, strict=True):
        single = rec.recommend(seeds, k=7)
        assert [r.track_id for r in answer] == [r.track_id for r in single]
    assert [r.track_id for r in rec.similar(BAD_GUY, k=7)] == [r.track_id for r in batch[2]]


@pytest.mark.parametrize("k", [0, -1, 1001])
def test_k_out_of_range(rec, k):
    with pytest.raises(InvalidArgumentError, match="k must be"):
        rec.recommend("bad guy", k=k)


def test_many_seeds_exclude_all_their_versions(rec):
    seeds = ["Shape of You - Ed Sheeran", "bad guy", "Blinding Lights"]
    result = rec.recommend(seeds, k=50, artist_cap=0)
    seed_codes = {rec.catalog.version_codes[rec.resolve(s).row] for s in seeds}
    assert not seed_codes & set(rec.catalog.version_codes[_rows(rec, result)])


def test_explanations_keep_sound_and_context_apart(rec):
    """Sound reasons (energy, tempo, key, ...) come first; popularity, year, length and
    explicit only as context, after "(also"; a key is named with its mode and only when
    the mode is the seeds' too."""
    context = {"popularity", "year", "duration_ms", "explicit"}
    seen_key = 0
    for seed in ("bad guy", "Hello - Adele", "Blinding Lights", "Wonderwall", "Africa"):
        for r in rec.recommend(seed, k=20, artist_cap=0).results:
            kinds = [x.kind for x in r.reasons]
            assert kinds == sorted(kinds, key=lambda k: k != "sound")  # sound first
            for x in r.reasons:
                assert (x.kind == "context") == (x.feature in context), x
                if x.feature == "key":
                    seen_key += 1
                    assert re.fullmatch(r"key [A-G]#? (major|minor) vs seeds [A-G]#? "
                                        r"(major|minor)", x.text), x.text
                    assert x.text.split()[2] == x.text.split()[-1]  # the same mode
            if any(x.kind == "context" for x in r.reasons):
                assert "(also " in r.why
            assert not re.search(r"^(popularity|year)", r.why)
    assert seen_key > 0


@pytest.mark.parametrize("index", ["neighbours", "exact"])
def test_a_single_request_asks_few_candidates_first_and_answers_as_a_batch(model, index):
    """One request asks the index for 3k candidates first (a batch asks for the whole
    pool at once): over 300 tracks, with artist caps of 1 and 2 and none, the answers
    are the same, including those whose first candidates held too few artists."""
    from musicrec.index import ExactIndex
    from musicrec.recommend import recommender as recommender_module
    from musicrec.recommend.request import RecommendRequest

    rec = Recommender(model, index=None if index == "neighbours" else
                      ExactIndex(model.vectors))
    asked: list[tuple[str, int]] = []
    by_rows, by_vector = rec.index.search_rows, rec.index.search
    rec.index.search_rows = lambda rows, k, *a: asked.append(("rows", k)) or by_rows(
        rows, k, *a)
    rec.index.search = lambda q, k, *a: asked.append(("vector", k)) or by_vector(q, k, *a)
    ids = model.catalog.column("track_id")
    picked = np.random.default_rng(4).choice(len(ids), 300, replace=False)
    widened = 0
    for cap in (1, 2, 0):
        for row in picked:
            request = RecommendRequest([str(ids[row])], k=10, artist_cap=cap)
            asked.clear()
            alone = rec.recommend(request)
            assert asked[0] == ("rows", recommender_module.FIRST_FETCH * 10)
            widened += ("vector", recommender_module.MIN_POOL) in asked
            other = RecommendRequest([str(ids[picked[0]])], k=10, artist_cap=cap)
            asked.clear()
            batch = rec.recommend_batch([request, other])[0]
            assert asked[0] == ("rows", recommender_module.MIN_POOL)
            assert [r.track_id for r in alone.results] == [r.track_id for r in batch.results]
    assert widened > 0  # the whole pool was asked for where the first 30 were too few


def test_seed_profile_weights_means_and_tallies_keys():
    """The seeds' profile: a weighted mean per feature (missing values left out, so a
    feature nobody has stays NaN) and the weightiest value of a categorical one."""
    from musicrec.recommend.explain import seed_profile

    features = ["energy", "key", "mode"]
    raw = np.array([[0.2, 5.0, 1.0], [0.8, 7.0, 0.0], [0.5, 7.0, 0.0]])
    weights = np.array([1.0, 1.0, 1.0])
    assert np.allclose(seed_profile(raw, weights, features), [0.5, 7.0, 0.0])
    heavy = np.array([3.0, 1.0, 1.0])  # 3 on key 5 outweighs 1 + 1 on key 7
    assert np.allclose(seed_profile(raw, heavy, features), [0.38, 5.0, 1.0])
    tie = np.array([2.0, 1.0, 1.0])  # 2 against 1 + 1: the lower value
    assert seed_profile(raw, tie, features)[1:].tolist() == [5.0, 0.0]
    raw[1, 0] = np.nan  # a missing energy: the mean of the others, weighted
    assert seed_profile(raw, heavy, features)[0] == pytest.approx((0.6 + 0.5) / 4)
    raw[:, 1] = np.nan  # no seed has a key: unknown, not 0
    profile = seed_profile(raw, weights, features)
    assert np.isnan(profile[1]) and profile[2] == 0.0


def test_reasons_read_sound_first_then_context(rec):
    """The one-line why: how a track sounds alike, then its context in brackets; the
    overall cosine when no feature qualifies."""
    from musicrec.recommend.explain import why_text
    from musicrec.recommend.results import Reason

    reasons = [Reason("year", 1999, 2001, "year 1999 vs seeds 2001", "context"),
               Reason("energy", 0.7, 0.72, "energy 0.70 vs seeds 0.72", "sound"),
               Reason("listening", 0.8, 1.0, "often with your songs", "listening")]
    assert why_text(reasons, 0.9) == ("energy 0.70 vs seeds 0.72; often with your songs "
                                      "(also year 1999 vs seeds 2001)")
    assert why_text([], 0.912) == "close on the overall feature profile (cosine 0.91)"
    result = rec.recommend([BAD_GUY, "blinding lights"], k=5)
    for r in result.results:
        assert r.why == why_text(r.reasons, r.score)
