"""The LightFM kind: a factorisation of listening data whose items are described by the
content model, so a track in no playlist still gets a representation (cold start).

Each track's features are its own identity (for tracks in the training interactions)
plus its style-model content vector; LightFM (WARP loss) learns an embedding per
feature, and a track's representation is the sum over its features. A track without
interactions is represented through its content vector alone; a seed list is folded in
as a new user described by its tracks (the mean of their representations), and
tracks are ranked by cosine to it.

LightFM comes from the ``hybrid`` extra (``pip install ".[hybrid]"``; see the README for
Python 3.11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from musicrec.errors import MissingDependencyError
from musicrec.features.collaborative import CollaborativeBlock
from musicrec.model.kinds.base import ModelKind, training_interactions
from musicrec.model.kinds.registry import register
from musicrec.model.kinds.style import StyleKind
from musicrec.progress import Progress

if TYPE_CHECKING:  # scipy.sparse only for a build that learns from listens
    from musicrec.data.interactions import UserItems

#: Settings chosen on a validation split of the default catalog's training playlists
#: (docs/evaluation.md).
COMPONENTS = 64
EPOCHS = 30
LEARNING_RATE = 0.05
#: Weight of the content vector among a track's features (its identity has weight 1):
#: 0.3 ranked known tracks best on validation (R-precision 0.0298 against 0.0259 at 1.0
#: and 0.0151 at 3.0; docs/evaluation.md).
CONTENT_WEIGHT = 0.3
INSTALL = ('the lightfm model needs LightFM: pip install "musicrec[hybrid]" (on Python '
           '3.11: pip install --no-binary lightfm-next lightfm-next)')


def load_lightfm():
    """The LightFM class, or a clear error saying how to install it."""
    try:
        from lightfm import LightFM
    except ImportError as exc:  # absent, or a wheel that cannot load here
        raise MissingDependencyError(f"{INSTALL} ({exc})") from None
    return LightFM


@register
class LightfmKind(ModelKind):
    collaborative = True
    name = "lightfm"
    summary = "LightFM (WARP) on playlists or plays, tracks described by the style model"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            transfer=None, interactions=None, progress):
        data = training_interactions(catalog, labels, interactions, self.name)
        if not hasattr(data, "matrix"):
            from musicrec.errors import InvalidArgumentError

            raise InvalidArgumentError(
                "the 'lightfm' model learns on one machine: import the listening data "
                "with 'musicrec import-listens', or use --model hybrid on Spark")
        load_lightfm()  # before minutes of style fitting: say at once when it is missing
        space = StyleKind().fit(catalog, features=features, weights=weights, labels=labels,
                                fit_rows=fit_rows, transfer=transfer, progress=progress)
        content = space.transform(catalog.tracks)
        progress.say(f"Learning LightFM embeddings from {data.n_pairs:,} interactions of "
                     f"{data.n_users:,} playlists or listeners ({EPOCHS} epochs)")
        warm, own, projection = fit_lightfm(data, content, progress)
        ids = catalog.column("track_id")[warm].astype(str)
        block = CollaborativeBlock(
            self.name, 1.0, ids, own, projection=projection,
            details={**data.describe(), "components": COMPONENTS, "epochs": EPOCHS})
        return space.with_collaborative(block)


def fit_lightfm(data: UserItems, content: np.ndarray, progress: Progress
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LightFM (WARP) on ``data`` with item features [identity of warm tracks, content];
    returns the warm rows, their identity embeddings and the content projection."""
    import scipy.sparse as sp

    from musicrec.threads import active_thread_count

    LightFM = load_lightfm()
    n = len(content)
    warm = data.warm_rows()
    identity = sp.csr_matrix((np.ones(len(warm), dtype=np.float32),
                              (warm, np.arange(len(warm)))), shape=(n, len(warm)))
    item_features = sp.hstack([identity, sp.csr_matrix(CONTENT_WEIGHT * content)],
                              format="csr", dtype=np.float32)
    model = LightFM(no_components=COMPONENTS, loss="warp", learning_rate=LEARNING_RATE,
                    random_state=0)
    matrix = data.matrix.tocoo()
    matrix.data[:] = 1.0
    threads = active_thread_count()
    for epoch in range(EPOCHS):  # one at a time: Ctrl-C is seen between epochs
        model.fit_partial(matrix, item_features=item_features, epochs=1, num_threads=threads)
        progress.count("LightFM epochs", epoch + 1, EPOCHS)
    embeddings = np.asarray(model.item_embeddings, dtype=np.float32)
    return warm, embeddings[: len(warm)], CONTENT_WEIGHT * embeddings[len(warm):]
