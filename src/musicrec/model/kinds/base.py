"""What a model kind is: a named way of turning a catalog into vectors.

A kind fits a :class:`~musicrec.features.space.FeatureSpace` (which the model store
saves and which embeds tracks added later); the build then makes the vectors, the
index and the clusters the same way for every kind. Adding a kind is one file in this
package with a class decorated ``@register``, plus its tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from musicrec.progress import Progress

if TYPE_CHECKING:
    from musicrec.data.catalog import Catalog
    from musicrec.data.interactions import UserItems
    from musicrec.data.labels import TrackLabels
    from musicrec.features.space import FeatureSpace
    from musicrec.model.store import Model


class ModelKind(ABC):
    """A named way to fit a feature space to a catalog."""

    #: The name users give (``--model NAME``) and the manifest records.
    name: ClassVar[str] = ""
    #: One line for help texts.
    summary: ClassVar[str] = ""
    #: Whether it learns from listening data (``build --listens``).
    collaborative: ClassVar[bool] = False

    @abstractmethod
    def fit(
        self,
        catalog: Catalog,
        *,
        features: Sequence[str] | None = None,
        weights: Mapping[str, float] | None = None,
        labels: TrackLabels | None = None,
        fit_rows: np.ndarray | None = None,
        transfer: Callable[[], Model] | None = None,
        interactions: UserItems | None = None,
        progress: Progress,
    ) -> FeatureSpace:
        """A feature space fitted to ``catalog``.

        ``fit_rows`` (a training part) limits what scaling is fitted on; ``labels``, when
        given, are the only playlist labels a learned kind may read (default: all of the
        catalog's); ``transfer`` gives a model learned on another catalog, for a learned
        kind to borrow from when this catalog has no labels to learn from;
        ``interactions`` is the listening data a collaborative kind learns from (default:
        see :func:`training_interactions`).
        """


def training_interactions(catalog: Catalog, labels: TrackLabels | None,
                          interactions: UserItems | None, kind: str) -> UserItems:
    """What a collaborative kind learns from: ``interactions`` when given, else the
    playlists in ``labels`` (a training part), else all of the catalog's playlists."""
    from musicrec.data.interactions import UserItems
    from musicrec.errors import InvalidArgumentError

    if interactions is None:
        if labels is not None:
            interactions = UserItems.from_groups(labels.playlist_rows, len(catalog))
        elif catalog.playlists is not None and len(catalog.interactions):
            from musicrec.data.labels import playlist_members

            interactions = UserItems.from_groups(playlist_members(catalog), len(catalog))
    if interactions is None or not interactions.n_pairs:
        raise InvalidArgumentError(
            f"the '{kind}' model learns from listening data (playlists or plays), and this "
            "catalog has none: import some with 'musicrec import-listens', or use the "
            "'style' model")
    return interactions
