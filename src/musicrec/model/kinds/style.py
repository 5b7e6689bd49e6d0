"""The default kind: audio features plus learned genre, subgenre and playlist style."""

from __future__ import annotations

from musicrec.errors import MusicrecError
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
            transfer=None, interactions=None, progress):
        if catalog.playlists is None or not len(catalog.interactions):
            return self._transferred(catalog, features, weights, fit_rows, transfer, progress)
        if labels is None:
            from musicrec.data.labels import track_labels

            labels = track_labels(catalog)
        return FeatureSpace(features, weights, StyleConfig()).fit(
            catalog.tracks, labels, progress, fit_rows)

    @staticmethod
    def _transferred(catalog, features, weights, fit_rows, transfer, progress):
        """No playlists here: the audio features of this catalog plus the style
        classifiers another catalog's playlists taught (``transfer``); audio features
        only when there is none to borrow."""
        space = OriginalKind().fit(catalog, features=features, weights=weights,
                                   fit_rows=fit_rows, progress=progress)
        if transfer is None:
            progress.say("No playlist genres to learn styles from: using audio features only")
            return space
        try:
            source = transfer()
        except MusicrecError as exc:
            progress.say(f"No playlist genres to learn styles from, and the default "
                         f"dataset's style cannot be borrowed ({exc}): using audio features "
                         "only")
            return space
        origin = str(source.manifest.get("dataset", "another catalog"))
        progress.say(f"No playlist genres here: describing the tracks with the style learned "
                     f"from {origin}'s playlists")
        space.with_transferred_style(source.space, catalog.tracks, origin)
        share = space.style_input_["imputed_share"]
        if share > 0:
            progress.say(f"{share:.0%} of the style's inputs are missing here and imputed "
                         f"with {origin}'s medians")
        return space
