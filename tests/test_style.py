"""The style model: the default model's extra blocks, safe loading, the original method."""

from __future__ import annotations

import json

import numpy as np
import pytest

from musicrec import ModelIntegrityError
from musicrec.features.cues import CUE_NAMES, text_cues
from musicrec.features.style import StyleModel, with_artist_context
from musicrec.model.store import STYLE
from tests.test_cli import cli


def test_text_cues():
    cues = text_cues(["Titi Me Preguntó", "Wake Me Up - Avicii Remix", None],
                     ["Un Verano Sin Ti", "True (feat. X)", "Live at Wembley"])
    assert cues.shape == (3, len(CUE_NAMES))
    named = [dict(zip(CUE_NAMES, row, strict=True)) for row in cues]
    assert named[0]["title_spanish"] > 0 and named[0]["title_non_ascii"] > 0
    assert named[1]["title_version"] == 1.0 and named[1]["album_featuring"] == 1.0
    assert named[2]["title_length"] == 0.0 and named[2]["album_performance"] == 1.0


def test_default_model_has_style_blocks(model):
    space = model.space
    assert space.style is not None
    d = len(space.features_)
    assert model.vectors.shape == (28_356, space.dims_) and space.dims_ > d
    style = space.style_model_
    assert len(style.genre_names_) == 6 and len(style.subgenre_names_) == 24
    # the first d columns are the audio features, scaled to one length for every track
    block = np.linalg.norm(np.asarray(model.vectors[:1000, :d]), axis=1)
    assert np.allclose(block, block[0], atol=1e-5)


def test_artist_context_blends_each_track_with_its_artist():
    blocks = {"genre": np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])}
    artists = np.array([7, 7, 3])  # two tracks by one artist, one by another
    out = with_artist_context(blocks, artists, 0.5)["genre"]
    # 0.5 * own + 0.5 * (mean of the artist's two rows), back to unit length
    first = np.array([0.75, 0.25]) / np.hypot(0.75, 0.25)
    assert np.allclose(out[0], first) and np.allclose(out[1], first[::-1])
    assert np.allclose(out[2], [0.6, 0.8])  # alone: unchanged
    assert with_artist_context(blocks, artists, 0.0)["genre"] is blocks["genre"]


def test_a_new_song_is_embedded_from_its_own_data(model, rec):
    tracks = model.catalog.tracks
    row = model.catalog.index_of("2Fxmhks0bxGSBdJ92vM42m")  # bad guy
    new = tracks.iloc[[row]].copy()
    new["track_id"] = "not-in-any-playlist"
    # by the same artist, with the catalog as context: as if it had been in the catalog
    vector = model.space.transform(new, context=tracks)[0]
    assert float(vector @ model.vectors[row]) > 0.999
    rows, _ = rec.index.search(vector[None, :], 5)
    assert row in rows[0]
    # by an artist the catalog does not know: its own prediction alone
    new["artists"] = [["Nobody The Catalog Knows"]]
    alone = model.space.transform(new, context=tracks)[0]
    assert np.allclose(alone, model.space.transform(new)[0])
    assert float(alone @ model.vectors[row]) < float(vector @ model.vectors[row])


def test_style_file_with_untrusted_types_is_refused(model, tmp_path):
    import skops.io as sio
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

    path = tmp_path / STYLE
    sio.dump({"config": {}, "anything": AdamOptimizer([np.zeros(2)])}, path)
    with pytest.raises(ModelIntegrityError, match="not trusted"):
        StyleModel.load(path)
    path.write_bytes(b"not a zip file")
    with pytest.raises(ModelIntegrityError, match="cannot be read"):
        StyleModel.load(path)
    assert StyleModel.load(model.path / STYLE).dims_ == model.space.style_model_.dims_


def test_original_model_from_the_command_line(capsys):
    code, out, _ = cli(capsys, "recommend", "bad guy", "--model", "original", "--format", "json")
    assert code == 0
    original = [r["track_id"] for r in json.loads(out)]
    code, out, _ = cli(capsys, "recommend", "bad guy", "--format", "json")
    style = [r["track_id"] for r in json.loads(out)]
    assert len(original) == len(style) == 10 and original != style
    code, out, _ = cli(capsys, "info", "--model", "original")
    assert code == 0 and "learned genre" not in out
    code, _, err = cli(capsys, "recommend", "bad guy", "--model", "fancy")
    assert code == 1 and "unknown model 'fancy'; choose one of style, als, audio, hybrid" in err
