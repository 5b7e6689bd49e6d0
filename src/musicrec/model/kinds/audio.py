"""Your own music: songs described by how they sound, from their audio files.

A library scanned by ``musicrec library scan`` has, for each song, an audio embedding
(summary statistics of timbre, harmony and rhythm) and the canonical descriptors, of
which tempo, key, mode, loudness and duration are measured and the rest estimated. The
vector of a song is ``unit([sqrt(1 - SHARE) * descriptors, sqrt(SHARE) * embedding])``
with both parts standardised over the library, so similarity is mostly by sound while
the explanations can still name descriptors; a song from outside the library (which has
no embedding) is placed by its descriptors alone.

When the library was scanned with the pretrained tagger, the sound part is itself a
blend: ``unit([sqrt(1 - TAGGER_SHARE) * unit(embedding), sqrt(TAGGER_SHARE) *
unit(tagger embedding)])``, so its cosine is the two cosines weighted by the share (a
song the tagger could not hear keeps its own embedding alone). The share was chosen by
same-album and same-artist P@10 on real game soundtracks (benchmarks/tagger_quality.py,
docs/audio-features.md).
"""

from __future__ import annotations

from musicrec.errors import InvalidArgumentError
from musicrec.features.collaborative import CollaborativeBlock
from musicrec.features.space import FeatureSpace
from musicrec.model.kinds.base import ModelKind
from musicrec.model.kinds.registry import register

#: The embedding's share of the similarity (the descriptors have the rest)
SHARE = 0.75
#: The tagger's embedding's share of the sound part, when the library has one
TAGGER_SHARE = 0.5
#: The descriptors in the vector (duration and year place a song, they do not describe
#: how it sounds)
DESCRIPTORS = ("valence", "acousticness", "danceability", "energy", "instrumentalness",
               "key", "liveness", "loudness", "mode", "speechiness", "tempo")


@register
class AudioKind(ModelKind):
    name = "audio"
    summary = "your own audio files: how they sound (audio embedding) plus descriptors"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            transfer=None, interactions=None, progress):
        from musicrec.features.audio.library import standardised

        if catalog.embeddings is None:
            raise InvalidArgumentError(
                "the 'audio' model describes songs by their sound, so it needs a library "
                "scanned from audio files (musicrec library scan FOLDER)")
        chosen = features or [f for f in DESCRIPTORS if catalog.tracks[f].notna().any()]
        space = FeatureSpace(chosen, weights).fit(catalog.tracks, progress=progress,
                                                  fit_rows=fit_rows)
        z, _, _ = standardised(catalog.embeddings, fit_rows)
        details = {"source": "audio embedding", "dims": int(z.shape[1]),
                   "tracks": len(catalog)}
        tagger = getattr(catalog, "tagger", None)
        if tagger is not None and TAGGER_SHARE > 0:
            z, heard = blended(z, tagger, fit_rows, TAGGER_SHARE)
            details.update(source="audio embedding and the tagger's embedding",
                           dims=int(z.shape[1]), tagger_share=TAGGER_SHARE, tagged=heard)
        block = CollaborativeBlock(
            "audio", SHARE, catalog.column("track_id").astype(str), z, details=details)
        return space.with_collaborative(block)


def blended(z, tagger, fit_rows, share: float):
    """(the sound part with the tagger's embedding blended in, songs heard): see the
    module docstring; the tagger's embedding is standardised over the songs it heard."""
    import numpy as np

    from musicrec.features.audio.library import standardised
    from musicrec.features.audio.tagger.network import EMBEDDING_DIMS
    from musicrec.features.audio.tagger.song import OUTPUT_DIMS
    from musicrec.features.collaborative import unit_rows

    outputs = np.asarray(tagger, dtype=np.float32)
    if outputs.ndim != 2 or outputs.shape[1] != OUTPUT_DIMS:
        raise InvalidArgumentError(f"the library's tagger outputs have shape {outputs.shape}"
                                   "; scan it again")
    learned = outputs[:, OUTPUT_DIMS - EMBEDDING_DIMS:]  # after the tag probabilities
    heard = np.isfinite(learned).all(axis=1)
    fitted = heard.copy() if fit_rows is None else heard & np.isin(
        np.arange(len(heard)), fit_rows)
    learned_z = np.zeros_like(learned)
    if fitted.sum() >= 2:
        _, mean, scale = standardised(learned[fitted])
        learned_z[heard] = (learned[heard] - mean) / scale
    else:
        heard[:] = False
    own = unit_rows(z)
    mixed = np.hstack([np.sqrt(1.0 - share) * own,
                       np.where(heard[:, None], np.sqrt(share) * unit_rows(learned_z), 0.0)])
    mixed[~heard, : own.shape[1]] = own[~heard]
    return mixed.astype(np.float32), int(heard.sum())
