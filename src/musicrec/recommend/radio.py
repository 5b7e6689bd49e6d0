"""Radio: an endless list from seed songs that learns from likes and skips.

A station is a recommendation request that grows: a liked track becomes one more seed
and a skipped one a "less like this" seed (the Rocchio query the Recommender already
makes), and every track played so far (and every version of it) is left out of what
comes next, so nothing repeats. Stations live in memory, at most ``MAX_STATIONS`` of
them, each forgotten ``IDLE_SECONDS`` after its last use (the oldest first when full).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from musicrec.errors import InvalidArgumentError, UnknownTrackError
from musicrec.recommend.filters import Filters
from musicrec.recommend.request import RecommendRequest
from musicrec.recommend.results import Recommendation
from musicrec.recommend.seeds import Seed

MAX_STATIONS, IDLE_SECONDS = 1000, 3600.0
#: Weights of a liked track (a seed) and of a skipped one (a negative seed).
LIKE_WEIGHT, SKIP_WEIGHT = 1.0, 1.0
FEEDBACK = ("like", "skip")
#: Likes and skips a station goes by: the most recent ones (a request takes 100 seeds).
REMEMBERED = 50


@dataclass
class Station:
    """One listener's station: its seeds, likes, skips, filters and what it played."""

    seeds: list[Seed]
    filters: Filters
    artist_cap: int
    likes: list[str] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)  # track ids, in order
    used: float = field(default_factory=time.monotonic)


class Radio:
    """Stations over one Recommender (see the module doc); safe to share between the
    threads of a server."""

    def __init__(self, rec, max_stations: int = MAX_STATIONS,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.rec = rec
        self.max_stations, self.idle_seconds = max_stations, idle_seconds
        self._stations: OrderedDict[str, Station] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, seeds, *, n: int = 5, filters: Filters | None = None,
              artist_cap: int = 2) -> tuple[str, Recommendation]:
        """A new station from ``seeds``: its id and its first ``n`` tracks."""
        request = RecommendRequest(seeds, filters=filters or Filters(), artist_cap=artist_cap)
        station = Station(list(request.seeds), request.filters, request.artist_cap)
        first = self._next(station, n)  # unknown seeds fail here, before a station is kept
        station_id = secrets.token_urlsafe(12)
        with self._lock:
            self._expire()
            self._stations[station_id] = station
            while len(self._stations) > self.max_stations:
                self._stations.popitem(last=False)
        return station_id, first

    def next(self, station_id: str, feedback: str | None = None, n: int = 5
             ) -> Recommendation:
        """The next ``n`` tracks; ``feedback`` ("like" or "skip") is about the track
        played last."""
        if feedback is not None and feedback not in FEEDBACK:
            raise InvalidArgumentError(f"feedback is 'like' or 'skip' (got '{feedback}')")
        with self._lock:
            self._expire()
            station = self._stations.get(station_id)
            if station is None:
                raise UnknownTrackError(station_id, reason=f"no radio station '{station_id}' "
                                        "(stations end after an hour without use)")
            self._stations.move_to_end(station_id)
            station.used = time.monotonic()
        if feedback is not None and station.played:
            last = station.played[-1]
            if last not in station.likes and last not in station.skips:  # said once
                (station.likes if feedback == "like" else station.skips).append(last)
        return self._next(station, n)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._stations)

    def _expire(self) -> None:
        """Forget stations idle for longer than ``idle_seconds`` (caller holds the lock)."""
        cutoff = time.monotonic() - self.idle_seconds
        while self._stations and next(iter(self._stations.values())).used < cutoff:
            self._stations.popitem(last=False)

    def _next(self, station: Station, n: int) -> Recommendation:
        catalog = self.rec.catalog
        request = RecommendRequest(  # the most recent likes and skips count
            [*station.seeds, *(Seed(t, LIKE_WEIGHT) for t in station.likes[-REMEMBERED:])],
            negatives=[Seed(t, SKIP_WEIGHT) for t in station.skips[-REMEMBERED:]],
            filters=station.filters, k=n, artist_cap=station.artist_cap)
        played = [catalog.index_of(t) for t in station.played]
        rows = catalog.version_rows([r for r in played if r is not None])
        result = self.rec.recommend_batch(
            [request], exclude_rows=[np.asarray(rows, dtype=np.int64)])[0]
        station.played.extend(r.track_id for r in result.results)
        return result
