"""What a recommendation returns: ranked, scored, explained tracks, and the seeds used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from musicrec.recommend.seeds import ResolvedSeed


@dataclass(slots=True)
class Reason:
    """One feature that made a track close: its value and the seeds' (original units),
    and whether it says how the track sounds or where it stands (context)."""

    feature: str
    value: float
    seed_value: float
    text: str
    #: "sound": how it sounds alike; "listening": listening data put it near the seeds;
    #: "context": era, popularity, length
    kind: str = "sound"


@dataclass(slots=True)
class Result:
    """One recommended track: the catalog's record of it (see
    :meth:`musicrec.data.catalog.Catalog.records`), its rank, score and reasons."""

    rank: int
    track_id: str
    name: str | None
    artists: list[str]
    album: str | None
    year: int | None
    popularity: int | None
    genres: list[str]
    duration_ms: int | None
    tags: list[str]  #: the tagger's (or an imported table's) tags, most likely first
    score: float
    why: str
    reasons: list[Reason] = field(default_factory=list)
    cluster: int | None = None  # the track's song cluster (see ``musicrec clusters``)

    def to_dict(self) -> dict:
        """Plain JSON-able dict."""
        return asdict(self)


@dataclass
class Recommendation:
    """Results for one request, with the resolved seeds and notices for the user (every
    note of the request travels here: ambiguous matches, lookups, short lists)."""

    seeds: list[ResolvedSeed]
    negatives: list[ResolvedSeed]
    results: list[Result]
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)

    def to_records(self) -> list[dict]:
        """Results as a list of plain dicts (the JSON output)."""
        return [r.to_dict() for r in self.results]

    def to_frame(self) -> pd.DataFrame:
        """Results as a DataFrame, one row per track."""
        columns = ["rank", "track_id", "name", "artists", "album", "year", "popularity",
                   "genres", "tags", "score", "why", "cluster"]
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.results],
                            columns=columns)
