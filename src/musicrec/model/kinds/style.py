"""The default kind: audio features plus learned genre, subgenre and playlist style."""

from __future__ import annotations

from musicrec.features.space import FeatureSpace
from musicrec.features.style import StyleConfig
from musicrec.model.kinds.base import ModelKind
from musicrec.model.kinds.original import OriginalKind
from musicrec.model.kinds.registry import register


@register
class StyleKind(ModelKind):
    name = "style"
    summary = "audio features plus learned genre and playlist style (the default)"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            progress):
        if catalog.playlists is None or not len(catalog.interactions):
            progress.say("No playlist genres to learn styles from: using audio features only")
            return OriginalKind().fit(catalog, features=features, weights=weights,
                                      fit_rows=fit_rows, progress=progress)
        if labels is None:
            from musicrec.data.labels import track_labels

            labels = track_labels(catalog)
        return FeatureSpace(features, weights, StyleConfig()).fit(
            catalog.tracks, labels, progress, fit_rows)
