"""The evaluation protocols: genre precision (artist-disjoint, artist-filtered) and
playlist continuation (held-out playlists), with beyond-accuracy measures.

Every method is fitted on the training part of the same seeded split and judged on the
same queries in one run. ``part="validation"`` splits the training part again and
judges there, so settings can be chosen without looking at the test part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.data.labels import playlist_members, track_labels
from musicrec.data.text import fold
from musicrec.errors import InvalidArgumentError
from musicrec.evaluation import metrics
from musicrec.evaluation.methods import Method
from musicrec.evaluation.splits import (
    artist_split,
    inner_artist_split,
    playlist_split,
)
from musicrec.features.space import FeatureSpace
from musicrec.progress import SILENT, Progress

PARTS = ("test", "validation")


@dataclass
class EvaluationSettings:
    """The documented protocol; change the seed to draw another split."""

    seed: int = 0
    queries: int = 1000
    ks: tuple[int, ...] = (5, 10, 20)
    test_share: float = 0.2
    min_playlist_tracks: int = 10
    continuation_length: int = 500
    part: str = "test"
    #: request settings the models are asked with (empty: the shipped defaults)
    request: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.part not in PARTS:
            raise InvalidArgumentError(f"part must be one of {', '.join(PARTS)}")
        if self.queries < 1:
            raise InvalidArgumentError(f"queries must be at least 1 (got {self.queries})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "queries": self.queries, "ks": list(self.ks),
            "test_share": self.test_share, "min_playlist_tracks": self.min_playlist_tracks,
            "continuation_length": self.continuation_length, "part": self.part,
            "request": dict(self.request),
        }


@dataclass
class EvaluationResult:
    """Scores per task and method, with the settings and split sizes that produced them."""

    settings: EvaluationSettings
    genre: dict[str, dict[str, float]] = field(default_factory=dict)
    continuation: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the continuation measures on hidden tracks in some training playlist (warm) and
    #: in none (cold)
    warm: dict[str, dict[str, float]] = field(default_factory=dict)
    cold: dict[str, dict[str, float]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    #: per task and method, what a build chose on its own (a hybrid's factor share)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": self.settings.to_dict(), "sizes": self.sizes,
            "genre": self.genre, "continuation": self.continuation,
            "continuation_warm": self.warm, "continuation_cold": self.cold,
            "models": self.models,
        }


def _artist_rows(catalog: Catalog) -> tuple[list[set[str]], dict[str, np.ndarray]]:
    """Each row's folded artist names, and artist -> rows."""
    names = [
        {fold(a) for a in artists} if artists is not None else set()
        for artists in catalog.column("artists")
    ]
    rows: dict[str, list[int]] = {}
    for row, artists in enumerate(names):
        for a in artists:
            rows.setdefault(a, []).append(row)
    return names, {a: np.array(r, dtype=np.int64) for a, r in rows.items()}


def evaluate_genre(
    catalog: Catalog,
    methods: Sequence[Method],
    settings: EvaluationSettings,
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Genre and subgenre precision@k on an artist-disjoint split, artist-filtered.

    Models are fitted on training artists' tracks only; queries and candidates are test
    artists' tracks; candidates sharing any artist with the query (and the query's
    versions) are removed before ranking.
    """
    progress = progress or SILENT
    labels = track_labels(catalog)
    split = artist_split(catalog, settings.test_share, settings.seed)
    if settings.part == "validation":
        split = inner_artist_split(catalog, split, settings.test_share, settings.seed)
    test = split.test[labels.labelled[split.test]]
    rng = np.random.default_rng(settings.seed)
    queries = np.sort(rng.choice(test, size=min(settings.queries, len(test)), replace=False))
    allowed = np.zeros(len(catalog), dtype=bool)
    allowed[split.test] = True
    names, by_artist = _artist_rows(catalog)
    exclude = []
    for q in queries.tolist():
        same = [by_artist[a] for a in names[q]] + [catalog.version_rows([q]), np.array([q])]
        exclude.append(np.unique(np.concatenate(same)))
    judge = metrics.Judgement(
        catalog.artist_codes, len(split.test), queries,
        {"genre": labels.genres, "subgenre": labels.subgenres},
        yardstick=FeatureSpace().fit(catalog.tracks, fit_rows=split.train).transform(
            catalog.tracks),
        information=metrics.self_information(catalog.numeric("popularity")),
    )
    measures = metrics.genre_metrics(settings.ks)
    out: dict[str, dict[str, float]] = {}
    for method in methods:
        progress.say(f"genre task: fitting {method.name}")
        method.fit(catalog, split.train, labels)
        _note_details(method, "genre", progress)
        lists = method.recommend([np.array([q]) for q in queries], max(settings.ks), allowed,
                                 exclude)
        out[method.name] = {m.name: m.score(lists, judge) for m in measures}
    sizes = {"train_tracks": len(split.train), "test_tracks": len(split.test),
             "queries": len(queries)}
    return out, sizes


@dataclass
class Slice:
    """One kind of hidden track (warm or cold): the candidates of that kind, and per test
    playlist that has any, its hidden tracks of that kind."""

    pool: np.ndarray  # (n_tracks,) bool: the candidates
    hidden: list[np.ndarray]
    playlists: list[int]  # which test playlists have hidden tracks of this kind

    @classmethod
    def of(cls, hidden: list[np.ndarray], pool: np.ndarray) -> Slice:
        inside = [h[pool[h]] for h in hidden]
        chosen = [i for i, h in enumerate(inside) if len(h)]
        return cls(pool, [inside[i] for i in chosen], chosen)


def evaluate_continuation(
    catalog: Catalog,
    methods: Sequence[Method],
    settings: EvaluationSettings,
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, float]], dict[str, int], dict[str, dict[str, dict[str, float]]]]:
    """RecSys-Challenge-2018-style continuation of held-out playlists.

    Test playlists (a seeded share of those with at least ``min_playlist_tracks``) give
    no labels to any model; half of each is the seeds, the rest is to be found among
    ``continuation_length`` recommendations from the whole catalog. The same measures
    are also taken on two slices: tracks in some training playlist (warm: listening
    data knows them) and tracks in none (cold). On a slice, every method recommends
    among that slice's tracks only and is judged on the hidden tracks of that kind
    (playlists with none are left out), so a method cannot gain by knowing which tracks
    are cold: in a catalog that is the union of its playlists, the cold tracks are
    nearly all in the held-out playlists (docs/evaluation.md). Returns the overall
    scores, the sizes and the slices' scores.
    """
    progress = progress or SILENT
    members = playlist_members(catalog)
    split = playlist_split(members, settings.test_share, settings.min_playlist_tracks,
                           settings.seed)
    if settings.part == "validation":
        split = playlist_split(members, settings.test_share, settings.min_playlist_tracks,
                               settings.seed + 1, among=split.train)
    labels = track_labels(catalog, split.train)
    everything = np.arange(len(catalog))
    allowed = np.ones(len(catalog), dtype=bool)
    seed_sets = [split.seeds[p] for p in split.test]
    hidden = [split.hidden[p] for p in split.test]
    judge = metrics.Judgement(catalog.artist_codes, len(catalog), hidden=hidden)
    warm = np.zeros(len(catalog), dtype=bool)
    for rows in labels.playlist_rows.values():
        warm[rows] = True
    slices = {"warm": Slice.of(hidden, warm), "cold": Slice.of(hidden, ~warm)}
    judges = {name: metrics.Judgement(catalog.artist_codes, len(catalog), hidden=s.hidden)
              for name, s in slices.items()}
    measures = metrics.continuation_metrics()
    out: dict[str, dict[str, float]] = {}
    by_slice: dict[str, dict[str, dict[str, float]]] = {name: {} for name in slices}
    for method in methods:
        progress.say(f"continuation task: fitting {method.name}")
        method.fit(catalog, everything, labels)
        _note_details(method, "continuation", progress)
        lists = method.recommend(seed_sets, settings.continuation_length, allowed, seed_sets)
        out[method.name] = {m.name: m.score(lists, judge) for m in measures}
        for name, part in slices.items():
            chosen = method.recommend([seed_sets[i] for i in part.playlists],
                                      settings.continuation_length, part.pool,
                                      [seed_sets[i] for i in part.playlists])
            by_slice[name][method.name] = {m.name: m.score(chosen, judges[name])
                                           for m in measures}
    sizes = {"train_playlists": len(split.train), "test_playlists": len(split.test),
             "hidden_tracks": int(sum(len(h) for h in hidden)),
             **{f"{name}_hidden_tracks": int(sum(len(h) for h in s.hidden))
                for name, s in slices.items()},
             **{f"{name}_playlists": len(s.playlists) for name, s in slices.items()},
             **{f"{name}_tracks": int(s.pool.sum()) for name, s in slices.items()}}
    return out, sizes, by_slice


def _note_details(method: Method, task: str, progress: Progress) -> None:
    """Say what a build chose on its own (kept on the method for the report)."""
    details = getattr(method, "details_", None)
    if details and details.get("validation"):  # chosen, not fixed (als, lightfm: 1.0)
        progress.say(f"{task} task: {method.name} chose factor share "
                     f"{details['factor_share']:.1f} on its validation playlists")
    method.chosen_ = {**getattr(method, "chosen_", {}), task: details or {}}


def evaluate(
    catalog: Catalog,
    methods: Sequence[Method],
    settings: EvaluationSettings | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Both tasks for every method, on one seeded split."""
    settings = settings or EvaluationSettings()
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"method names must differ (got {', '.join(names)})")
    if catalog.playlists is None or not len(catalog.interactions):
        raise InvalidArgumentError(
            "evaluation judges recommendations by playlist genres and held-out playlists, "
            "and this catalog has no playlists; evaluate a dataset that has them (the "
            "default, spotify_songs), or see benchmarks/transfer_style.py for a table of "
            "your own")
    result = EvaluationResult(settings)
    try:
        result.genre, genre_sizes = evaluate_genre(catalog, methods, settings, progress)
        result.continuation, cont_sizes, slices = evaluate_continuation(
            catalog, methods, settings, progress)
        result.warm, result.cold = slices["warm"], slices["cold"]
    finally:
        for method in methods:
            getattr(method, "close", lambda: None)()
    result.sizes = {**genre_sizes, **cont_sizes}
    result.models = {m.name: m.chosen_ for m in methods if any(getattr(m, "chosen_", {}).values())}
    return result
