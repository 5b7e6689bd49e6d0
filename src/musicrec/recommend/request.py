"""One request vocabulary for every front end: what to recommend and how.

The CLI, the REST API, the web page and the Python API all build a
:class:`RecommendRequest`; they only translate their own syntax into it. Names, ranges
and defaults live here once (:data:`LIMITS`, :data:`DEFAULTS`); the front ends read
them from here.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from musicrec.errors import InvalidArgumentError

if TYPE_CHECKING:  # imported when used: the CLI reads LIMITS and DEFAULTS at start-up
    from musicrec.recommend.filters import Filters
    from musicrec.recommend.seeds import Seed

SeedLike = Union[str, "Seed"]

#: Inclusive ranges of the numeric settings.
LIMITS: dict[str, tuple[float, float]] = {
    "k": (1, 500),
    "artist_cap": (0, 100),  # 0: no cap
    "diversity": (0.0, 1.0),  # 0: by similarity alone
}
DEFAULTS: dict[str, float] = {"k": 10, "artist_cap": 2, "diversity": 0.0}
#: At most this many seeds given as text, and this many negative seeds, in one request
#: (text may need fuzzy matching); seeds given as track ids (a playlist being extended)
#: are cheap to resolve, and up to MAX_ID_SEEDS are taken.
MAX_SEEDS = 100
#: Steps of a song path by default, and the range allowed (``Recommender.path``,
#: ``musicrec path``, ``POST /path``).
PATH_STEPS, PATH_STEP_LIMITS = 25, (2, 200)
MAX_ID_SEEDS = 2_000


def _no_filters() -> Filters:
    from musicrec.recommend.filters import Filters

    return Filters()


def _seeds(values: Sequence[SeedLike] | SeedLike, what: str) -> tuple[Seed, ...]:
    from musicrec.recommend.seeds import Seed, as_seed, is_track_id

    if isinstance(values, str | Seed):
        values = [values]
    seeds = tuple(as_seed(v) for v in values)
    if len(seeds) > MAX_SEEDS and (
            len(seeds) > MAX_ID_SEEDS or not all(is_track_id(s.query) for s in seeds)):
        raise InvalidArgumentError(
            f"at most {MAX_SEEDS} {what} (got {len(seeds)}; up to {MAX_ID_SEEDS:,} when all "
            "are track ids)")
    return seeds


@dataclass(frozen=True)
class RecommendRequest:
    """Tracks like ``seeds`` (weighted) and unlike ``negatives``, that pass ``filters``.

    Parameters
    ----------
    seeds : track ids, Spotify links, "title" or "title - artist", or :class:`Seed`
        with a weight; at least one.
    negatives : seeds to move away from ("less like this"); they and their versions
        never come back.
    filters : which tracks may come back.
    k : how many tracks (1-500).
    artist_cap : at most this many tracks per artist; others only fill up when too few
        tracks remain. 0: no cap.
    diversity : 0 ranks by similarity alone; up to 1 trades similarity for variety
        (maximal marginal relevance with lambda = 1 - diversity).
    same_cluster : only tracks in the song cluster of one of the seeds.
    """

    seeds: tuple[Seed, ...]
    negatives: tuple[Seed, ...] = ()
    filters: Filters = field(default_factory=_no_filters)
    k: int = 10
    artist_cap: int = 2
    diversity: float = 0.0
    same_cluster: bool = False

    def __post_init__(self) -> None:
        seeds = _seeds(self.seeds, "seeds")
        if not seeds:
            raise InvalidArgumentError("give at least one seed")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "negatives", _seeds(self.negatives, "negative seeds"))
        if self.filters is None:
            object.__setattr__(self, "filters", _no_filters())
        for name in ("k", "artist_cap"):
            value = getattr(self, name)
            low, high = LIMITS[name]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not (
                    low <= value <= high):
                raise InvalidArgumentError(
                    f"{name} must be a whole number from {low:g} to {high:g} (got {value})")
        low, high = LIMITS["diversity"]
        if not isinstance(self.diversity, int | float) or not low <= self.diversity <= high:
            raise InvalidArgumentError(
                f"diversity must be between {low:g} and {high:g} (got {self.diversity})")

    @property
    def cap(self) -> int | None:
        """The artist cap, None when there is none."""
        return self.artist_cap or None
