"""Request and response bodies of the REST API, validated by pydantic.

The recommendation settings take their names, ranges and defaults from
:mod:`musicrec.recommend.request`, as the command line does; strings are at most 200
characters, and only the known filter names are accepted (anything else is a 422).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from musicrec.recommend.request import (
    DEFAULTS,
    LIMITS,
    MAX_SEEDS,
    PATH_STEP_LIMITS,
    PATH_STEPS,
)
from musicrec.recommend.seeds import MAX_QUERY, MAX_WEIGHT

MAX_TEXT = MAX_QUERY

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedIn(Strict):
    """A seed: track id, Spotify link, "title" or "title - artist", with a weight."""

    query: Text
    weight: float = Field(1.0, gt=0, le=MAX_WEIGHT)


SeedLike = SeedIn | Text


class RangeIn(Strict):
    """An inclusive range; either end may be left open."""

    min: float | None = Field(None, ge=-1e12, le=1e12)
    max: float | None = Field(None, ge=-1e12, le=1e12)


class FiltersIn(Strict):
    """Which tracks may come back."""

    year: RangeIn | None = None
    popularity: RangeIn | None = None
    duration_ms: RangeIn | None = None
    explicit: bool | None = None
    genres: list[Text] = Field(default_factory=list, max_length=50)
    exclude_genres: list[Text] = Field(default_factory=list, max_length=50)
    exclude_spoken: bool = False
    tags: list[Text] = Field(default_factory=list, max_length=50)
    exclude_tags: list[Text] = Field(default_factory=list, max_length=50)


class RecommendIn(Strict):
    """Seeds (and negatives), filters, how many, and how diverse."""

    seeds: list[SeedLike] = Field(min_length=1, max_length=MAX_SEEDS)
    negatives: list[SeedLike] = Field(default_factory=list, max_length=MAX_SEEDS)
    k: int = Field(int(DEFAULTS["k"]), ge=LIMITS["k"][0], le=LIMITS["k"][1])
    filters: FiltersIn | None = None
    artist_cap: int = Field(int(DEFAULTS["artist_cap"]), ge=LIMITS["artist_cap"][0],
                            le=LIMITS["artist_cap"][1],
                            description="at most this many tracks per artist; 0: no cap")
    diversity: float = Field(DEFAULTS["diversity"], ge=LIMITS["diversity"][0],
                             le=LIMITS["diversity"][1], description="0: by similarity alone; "
                             "higher values trade similarity for variety (MMR lambda = 1 - this)")
    same_cluster: bool = False


class PlaylistIn(Strict):
    """A playlist the user has, as the text of its file, to extend."""

    text: str = Field(min_length=1, max_length=1 << 20,
                      description="the file's text: M3U8, JSPF or CSV with title and artist")
    name: str = Field("playlist", min_length=1, max_length=MAX_TEXT,
                      description="its file name (the extension tells the format)")
    format: Literal["m3u8", "jspf", "csv"] | None = Field(
        None, description="the format, when the name does not tell it")
    negatives: list[SeedLike] = Field(default_factory=list, max_length=MAX_SEEDS)
    k: int = Field(int(DEFAULTS["k"]), ge=LIMITS["k"][0], le=LIMITS["k"][1])
    filters: FiltersIn | None = None
    artist_cap: int = Field(int(DEFAULTS["artist_cap"]), ge=LIMITS["artist_cap"][0],
                            le=LIMITS["artist_cap"][1])
    diversity: float = Field(DEFAULTS["diversity"], ge=LIMITS["diversity"][0],
                             le=LIMITS["diversity"][1])
    same_cluster: bool = False


class ExportIn(Strict):
    """Tracks to put in a playlist file, in order."""

    track_ids: list[Text] = Field(min_length=1, max_length=1000)
    title: str = Field("musicrec", min_length=1, max_length=MAX_TEXT)


class _TrackFields(BaseModel):
    track_id: str
    name: str | None
    artists: list[str]
    album: str | None
    year: int | None
    popularity: int | None
    genres: list[str]
    tags: list[str] = []


class TrackOut(_TrackFields):
    duration_ms: int | None = None
    cluster: int | None = None


class ReasonOut(BaseModel):
    feature: str
    value: float
    seed_value: float
    text: str
    kind: str = "sound"


class ResultOut(_TrackFields):
    duration_ms: int | None = None
    rank: int
    score: float
    why: str
    cluster: int | None
    reasons: list[ReasonOut]


class ResolvedSeedOut(BaseModel):
    query: str
    weight: float
    track_id: str
    label: str
    how: str


class PathIn(Strict):
    """A song path: where it starts and ends, how many steps, and which tracks may be
    steps (the CLI's ``musicrec path`` and ``Recommender.path``)."""

    start: Text
    end: Text
    steps: int = Field(PATH_STEPS, ge=PATH_STEP_LIMITS[0], le=PATH_STEP_LIMITS[1],
                       description="steps from start to end; the path has one track more")
    filters: FiltersIn | None = None
    artist_cap: int = Field(int(DEFAULTS["artist_cap"]), ge=LIMITS["artist_cap"][0],
                            le=LIMITS["artist_cap"][1],
                            description="at most this many tracks per artist on the path, "
                            "the ends included; 0: no cap")


class RadioIn(Strict):
    """A radio station from seed songs: how many tracks at a time, which may come."""

    seeds: list[SeedLike] = Field(min_length=1, max_length=MAX_SEEDS)
    n: int = Field(5, ge=1, le=50, description="tracks per answer")
    filters: FiltersIn | None = None
    artist_cap: int = Field(int(DEFAULTS["artist_cap"]), ge=LIMITS["artist_cap"][0],
                            le=LIMITS["artist_cap"][1])


class RadioNextIn(Strict):
    """What the listener thought of the track played last, and how many more."""

    feedback: Literal["like", "skip"] | None = None
    n: int = Field(5, ge=1, le=50)


class RecommendationOut(BaseModel):
    seeds: list[ResolvedSeedOut]
    negatives: list[ResolvedSeedOut]
    results: list[ResultOut]
    notices: list[str]


class RadioOut(RecommendationOut):
    station: str = Field(description="the station's id, for POST /radio/{station}/next")


class SearchHitOut(TrackOut):
    match: float


class MapOut(BaseModel):
    """Every track's place on the 2-D map (columns of equal length)."""

    track_ids: list[str]
    labels: list[str]
    x: list[float]
    y: list[float]
    cluster: list[int]
    axes: list[str]


class MapCompactOut(BaseModel):
    """The map as the web page loads it: base64 little-endian uint16 coordinates
    (``lo + q / 65535 * (hi - lo)``, bounds per axis), base64 clusters, one label per
    line, in catalog row order."""

    n: int
    x: str
    y: str
    bounds: list[list[float]]
    cluster: str
    cluster_dtype: str
    labels: str
    axes: list[str]


class MapRowsIn(Strict):
    track_ids: list[Text] = Field(..., min_length=1, max_length=1000)


class MapRowsOut(BaseModel):
    rows: list[int | None]


class HealthOut(BaseModel):
    status: str
    tracks: int
    model: str
    features: list[str]
    genres: list[str]
    tags: list[str] = []
    explicit_known: bool


class CatalogOut(BaseModel):
    """A catalog the service serves, and where."""

    name: str
    path: str
    kind: str
    tracks: int
    estimated: bool  # its descriptors are estimates from audio files


class ErrorOut(BaseModel):
    error: str
    candidates: list[str] = []
    details: list[dict] = []
