"""Filters on candidate tracks, and parsing of the ranges users type ("1990-2000")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.errors import InvalidArgumentError

Range = tuple[float | None, float | None]


def parse_range(text: str, name: str, *, minutes: bool = False) -> Range:
    """Parse "A-B", "A-", "-B" or "A" into an inclusive (low, high) pair.

    With ``minutes`` the ends may be written as m:ss and are returned in milliseconds;
    plain numbers are then seconds.
    """
    raw = text.strip()
    match = re.fullmatch(r"\s*([^-\s]*)\s*(-)?\s*([^-\s]*)\s*", raw)
    if not raw or match is None or (not match.group(1) and not match.group(3)):
        raise InvalidArgumentError(
            f"bad range '{text}' for {name}: write LOW-HIGH, LOW- or -HIGH"
        )
    low_text, dash, high_text = match.groups()
    low = _number(low_text, text, name, minutes)
    high = _number(high_text, text, name, minutes) if dash else low
    return check_range((low, high), name, text, (low_text, high_text if dash else low_text))


def check_range(
    bounds: Range, name: str, text: str | None = None, shown: tuple[str, str] | None = None
) -> Range:
    """Validate that low <= high; return the pair. ``shown``: the ends as the user wrote them."""
    low, high = bounds
    if low is not None and high is not None and low > high:
        start, end = shown or (_fmt(low), _fmt(high))
        where = f"'{text}'" if text else f"{start}-{end}"
        raise InvalidArgumentError(
            f"bad range {where} for {name}: the start ({start}) is after the end ({end})"
        )
    return bounds


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _number(part: str, text: str, name: str, minutes: bool) -> float | None:
    if part == "":
        return None
    try:
        if minutes and ":" in part:
            m, s = part.split(":", 1)
            whole, seconds = int(m), float(s)
        else:
            value = float(part)
    except ValueError:
        raise InvalidArgumentError(
            f"bad range '{text}' for {name}: '{part}' is not a number"
        ) from None
    if not minutes:
        return value
    if ":" not in part:
        return value * 1000.0  # plain numbers are seconds
    if not 0 <= seconds < 60:
        raise InvalidArgumentError(
            f"bad range '{text}' for {name}: '{part}' is not a time (m:ss, seconds 0-59)")
    return (whole * 60 + seconds) * 1000.0


#: Speechiness above which a track is spoken word (Spotify's documented threshold)
SPOKEN_WORD = 0.66


@dataclass
class Filters:
    """Which tracks may be recommended. Every range is inclusive; None means no limit.

    A track whose value is missing does not pass a filter on that value.
    """

    year: Range | None = None
    popularity: Range | None = None
    duration_ms: Range | None = None
    explicit: bool | None = None
    genres: list[str] = field(default_factory=list)
    exclude_genres: list[str] = field(default_factory=list)
    #: leave out spoken word (speechiness above SPOKEN_WORD: talk, audiobooks, poetry)
    exclude_spoken: bool = False
    #: only tracks with any of these tags (the tagger's "mellow", "80s", ...)
    tags: list[str] = field(default_factory=list)
    #: no track with any of these tags
    exclude_tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("year", "popularity", "duration_ms"):
            bounds = getattr(self, name)
            if bounds is not None:
                if len(bounds) != 2:
                    raise InvalidArgumentError(f"{name} must be a (low, high) pair")
                check_range(tuple(bounds), name)
        if self.popularity is not None:
            for end in self.popularity:
                if end is not None and not 0 <= end <= 100:
                    raise InvalidArgumentError(f"popularity runs from 0 to 100 (got {_fmt(end)})")

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not (
            self.year or self.popularity or self.duration_ms or self.explicit is not None
            or self.genres or self.exclude_genres or self.exclude_spoken or self.tags
            or self.exclude_tags
        )

    def mask(self, catalog: Catalog) -> np.ndarray | None:
        """Boolean mask of tracks that pass, or None when nothing is filtered."""
        if self.is_empty():
            return None
        keep = np.ones(len(catalog), dtype=bool)
        for name in ("year", "popularity", "duration_ms"):
            bounds = getattr(self, name)
            if bounds is None:
                continue
            values = catalog.numeric(name)
            low, high = bounds
            with np.errstate(invalid="ignore"):
                inside = ~np.isnan(values)
                if low is not None:
                    inside &= values >= low
                if high is not None:
                    inside &= values <= high
            keep &= inside
        if self.explicit is not None:
            if not catalog.has_values("explicit"):
                raise InvalidArgumentError(
                    "this catalog has no explicit flag for its tracks, so it cannot filter on it"
                )
            keep &= catalog.numeric("explicit") == (1.0 if self.explicit else 0.0)
        if self.genres:
            keep &= catalog.genre_mask(self.genres)
        if self.exclude_genres:
            keep &= ~catalog.genre_mask(self.exclude_genres)
        if self.tags:
            keep &= catalog.tag_mask(self.tags)
        if self.exclude_tags:
            keep &= ~catalog.tag_mask(self.exclude_tags)
        if self.exclude_spoken:  # a track of unknown speechiness is kept
            with np.errstate(invalid="ignore"):
                keep &= ~(catalog.numeric("speechiness") > SPOKEN_WORD)
        return keep
