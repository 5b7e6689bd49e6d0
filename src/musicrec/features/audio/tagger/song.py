"""One song through the tagger: its tag probabilities, embedding and the tags it gets.

The tagger hears the middle :data:`TAGGED_SECONDS` of the window the analysis decoded:
ten 3-second patches, the length of the Million Song Dataset previews the model learned
from (and 0.4 s of one core, where all 60 s took 0.9 s; docs/performance.md). A song's
probabilities and embedding are the means over its patches, as musicnn's ``top_tags``
averages its taggram.
"""

from __future__ import annotations

import numpy as np

from musicrec.features.audio.tagger.network import (
    EMBEDDING_DIMS,
    PATCH_FRAMES,
    SAMPLE_RATE,
    TAGS,
    Musicnn,
    log_mel,
    patches,
)

#: Seconds of the analysed window the tagger hears (from its middle)
TAGGED_SECONDS = 30.0
#: A song gets a tag when its probability reaches this ...
TAG_THRESHOLD = 0.1
#: ... up to this many tags, the most likely first
MAX_TAGS = 5
#: Values per song in the stored tagger output: probabilities, then the embedding
OUTPUT_DIMS = len(TAGS) + EMBEDDING_DIMS


def tag_name(tag: str) -> str:
    """How a tag is shown and matched: lower case, the singular duplicate merged."""
    name = tag.lower()
    return "female vocalists" if name == "female vocalist" else name


#: Every tag as shown, each once, in the model's order
TAG_NAMES = tuple(dict.fromkeys(tag_name(t) for t in TAGS))


def tag_samples(network: Musicnn, samples: np.ndarray, rate: int) -> dict:
    """{"probabilities": 50 floats, "embedding": 200 floats, "patches": n} of mono
    ``samples`` at ``rate`` (the middle TAGGED_SECONDS of them). A clip shorter than one
    3-second patch is repeated to fill it (musicnn's training padded short clips so)."""
    y = np.asarray(samples, dtype=np.float32)
    if rate != SAMPLE_RATE:
        import soxr

        y = soxr.resample(y, rate, SAMPLE_RATE, quality="HQ").astype(np.float32)
    keep = int(TAGGED_SECONDS * SAMPLE_RATE)
    if len(y) > keep:
        start = (len(y) - keep) // 2
        y = y[start: start + keep]
    spectrogram = log_mel(y)
    if spectrogram.shape[0] < PATCH_FRAMES:  # repeat-pad, as musicnn's training did
        reps = -(-PATCH_FRAMES // max(1, spectrogram.shape[0]))
        spectrogram = np.tile(spectrogram, (reps, 1))[:PATCH_FRAMES]
    batch = patches(spectrogram)
    probabilities, embedding = network.forward(batch)
    return {"probabilities": [round(float(v), 5) for v in probabilities.mean(axis=0)],
            "embedding": [round(float(v), 5) for v in embedding.mean(axis=0)],
            "patches": int(len(batch))}


def song_tags(probabilities) -> list[str]:
    """The tags a song gets: those at or above TAG_THRESHOLD, most likely first, at most
    MAX_TAGS (the singular and plural of one tag counted once)."""
    p = np.asarray(probabilities, dtype=np.float64)
    chosen: list[str] = []
    for i in np.argsort(-p, kind="stable"):
        if p[i] < TAG_THRESHOLD or len(chosen) == MAX_TAGS:
            break
        name = tag_name(TAGS[i])
        if name not in chosen:
            chosen.append(name)
    return chosen
