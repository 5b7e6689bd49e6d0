"""The original (seed) method: standardised audio features, cosine similarity."""

from __future__ import annotations

from musicrec.features.space import FeatureSpace
from musicrec.model.kinds.base import ModelKind
from musicrec.model.kinds.registry import register


@register
class OriginalKind(ModelKind):
    name = "original"
    summary = "the seed method: audio features only"

    def fit(self, catalog, *, features=None, weights=None, labels=None, fit_rows=None,
            transfer=None, interactions=None, progress):
        return FeatureSpace(features, weights).fit(
            catalog.tracks, progress=progress, fit_rows=fit_rows)
