"""Request and response bodies of the REST API, validated by pydantic.

Limits: k from 1 to 100, at most 50 seeds and 50 negatives, strings of at most 200
characters, and only the known filter names (anything else is a 422).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 200
MAX_SEEDS = 50

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedIn(Strict):
    """A seed: track id, Spotify link, "title" or "title - artist", with a weight."""

    query: Text
    weight: float = Field(1.0, gt=0, le=100)


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


class RecommendIn(Strict):
    """Seeds (and negatives), filters, how many, and how diverse."""

    seeds: list[SeedLike] = Field(min_length=1, max_length=MAX_SEEDS)
    negatives: list[SeedLike] = Field(default_factory=list, max_length=MAX_SEEDS)
    k: int = Field(10, ge=1, le=100)
    filters: FiltersIn | None = None
    artist_cap: int | None = Field(2, ge=1, le=100)
    diversity: float = Field(0.0, ge=0.0, le=1.0, description="0: by similarity alone; "
                             "higher values trade similarity for variety (MMR lambda = 1 - this)")
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


class TrackOut(_TrackFields):
    duration_ms: int | None = None
    cluster: int | None = None


class ReasonOut(BaseModel):
    feature: str
    value: float
    seed_value: float
    text: str


class ResultOut(_TrackFields):
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


class RecommendationOut(BaseModel):
    seeds: list[ResolvedSeedOut]
    negatives: list[ResolvedSeedOut]
    results: list[ResultOut]
    notices: list[str]


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


class HealthOut(BaseModel):
    status: str
    tracks: int
    model: str
    features: list[str]
    genres: list[str]
    explicit_known: bool


class ErrorOut(BaseModel):
    error: str
    candidates: list[str] = []
    details: list[dict] = []
