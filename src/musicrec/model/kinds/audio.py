"""Your own music: songs described by how they sound, from their audio files.

A library scanned by ``musicrec library scan`` has, for each song, an audio embedding
(summary statistics of timbre, harmony and rhythm) and the canonical descriptors, of
which tempo, key, mode, loudness and duration are measured and the rest estimated. The
vector of a song is ``unit([sqrt(1 - SHARE) * descriptors, sqrt(SHARE) * embedding])``
with both parts standardised over the library, so similarity is mostly by sound while
the explanations can still name descriptors; a song from outside the library (which has
no embedding) is placed by its descriptors alone.
"""

from __future__ import annotations

from musicrec.errors import InvalidArgumentError
from musicrec.features.collaborative import CollaborativeBlock
from musicrec.features.space import FeatureSpace
from musicrec.model.kinds.base import ModelKind
from musicrec.model.kinds.registry import register

#: The embedding's share of the similarity (the descriptors have the rest)
SHARE = 0.75
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
        block = CollaborativeBlock(
            "audio", SHARE, catalog.column("track_id").astype(str), z,
            details={"source": "audio embedding", "dims": int(z.shape[1]),
                     "tracks": len(catalog)})
        return space.with_collaborative(block)
