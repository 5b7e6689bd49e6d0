"""Seeds: what a user names (id, Spotify URL/URI, "title - artist") and how it resolves."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from musicrec.data.catalog import Catalog
from musicrec.data.ids import BARE_ID, spotify_track_id
from musicrec.data.text import shorten
from musicrec.errors import InvalidArgumentError, UnknownTrackError

_OTHER_LINK = re.compile(
    r"^(?:(?:https?://)?open\.spotify\.com/(?:intl-[a-z]{2}(?:-[a-z]{2})?/|embed/)?"
    r"|spotify:)(album|playlist|artist|show|episode|user)[/:]", re.IGNORECASE)
#: The largest weight a seed may have.
MAX_WEIGHT = 100.0
#: The longest seed text (the same in every front end).
MAX_QUERY = 200


@dataclass(frozen=True)
class Seed:
    """A seed as given: free text, a track id or a Spotify URL/URI, with a weight > 0."""

    query: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.query, str) or not self.query.strip():
            raise InvalidArgumentError(
                "a seed is empty: give a title, 'title - artist', a track id or a Spotify link"
            )
        if len(self.query) > MAX_QUERY:
            raise InvalidArgumentError(
                f"a seed is at most {MAX_QUERY} characters (got {len(self.query):,}: "
                f"'{shorten(self.query)}')")
        if isinstance(self.weight, bool) or not isinstance(self.weight, int | float) or (
                not math.isfinite(self.weight) or not 0 < self.weight <= MAX_WEIGHT):
            raise InvalidArgumentError(
                f"seed weight must be a number above 0 and at most {MAX_WEIGHT:g} "
                f"(got {self.weight} for '{shorten(self.query)}')"
            )
        kind = _OTHER_LINK.match(self.query.strip())
        if kind:
            raise InvalidArgumentError(
                f"'{shorten(self.query)}' is a Spotify {kind.group(1).lower()} link, not a "
                "track: give a track link (open.spotify.com/track/...), a track id or a title"
            )


def parse_seed(spec: str) -> Seed:
    """Parse "QUERY" or "QUERY:WEIGHT".

    The text after the last colon is the weight when it is a number ("bad guy:2",
    "bad guy: 0.5"); when it is one word straight after the colon ("bad guy:abc") it is
    taken as a weight that is not a number, and refused. A colon followed by a space
    and words ("Re: Stacks") and a Spotify link are part of the seed.
    """
    text = spec.strip()
    if spotify_track_id(text) or _OTHER_LINK.match(text) or ":" not in text:
        return Seed(text)
    head, tail = text.rsplit(":", 1)
    if not head.strip():
        return Seed(text)
    try:
        weight = float(tail)
    except ValueError:
        if tail and not tail[0].isspace() and len(tail.split()) == 1:
            raise InvalidArgumentError(
                f"bad weight '{shorten(tail, 20)}' in '{shorten(text)}': write SEED:WEIGHT "
                f"with a number above 0 and at most {MAX_WEIGHT:g}, e.g. 'bad guy:2' "
                "(a title with a colon of its own takes a weight too: 'Re:Stacks:1')"
            ) from None
        return Seed(text)
    return Seed(head.strip(), weight)


def as_seed(value: str | Seed) -> Seed:
    """A Seed from a Seed or a plain string (weight 1)."""
    return value if isinstance(value, Seed) else Seed(value)


def is_track_id(text: str) -> bool:
    """True for text shaped like a bare Spotify track id (22 letters and digits)."""
    return bool(BARE_ID.match(text.strip()))


@dataclass
class ResolvedSeed:
    """A seed matched to a catalog row, with how it matched and what else would fit."""

    seed: Seed
    row: int
    track_id: str
    label: str
    how: str  # "id", "spotify-link", "exact", "title-artist", "version", "fuzzy"
    score: float = 100.0
    alternatives: list[str] = field(default_factory=list)
    #: for a track outside the catalog (row -1): its vector and raw feature values
    vector: np.ndarray | None = field(default=None, repr=False)
    raw: np.ndarray | None = field(default=None, repr=False)

    @property
    def external(self) -> bool:
        """True for a track from outside the catalog (the user's table)."""
        return self.row < 0

    def notice(self) -> str | None:
        """A sentence for the user when the match was not unambiguous, else None."""
        if self.how == "fuzzy":
            text = (f"'{self.seed.query}' is not an exact title; took the closest match: "
                    f"{self.label} (similarity {self.score:.0f})")
        elif self.alternatives:
            text = f"'{self.seed.query}': took {self.label}"
        else:
            return None
        if self.alternatives:
            text += "; also fits: " + "; ".join(self.alternatives[:4])
            if len(self.alternatives) > 4:
                text += f" (+{len(self.alternatives) - 4} more)"
            text += ". Write 'title - artist' or give the track id to choose."
        return text


def resolve_ids(catalog: Catalog, seeds: list[Seed]) -> list[ResolvedSeed | None]:
    """The seeds given as catalog track ids, resolved together (their labels read in
    one pass over the columns, not one per seed); None for every other seed, which
    :func:`resolve_seed` resolves as usual."""
    rows = [None if spotify_track_id(s.query.strip()) is not None
            else catalog.index_of(s.query.strip()) for s in seeds]
    found = [i for i, row in enumerate(rows) if row is not None]
    labels = catalog.labels([rows[i] for i in found]) if found else []
    out: list[ResolvedSeed | None] = [None] * len(seeds)
    for i, label in zip(found, labels, strict=True):
        out[i] = ResolvedSeed(seeds[i], rows[i], seeds[i].query.strip(), label, "id")
    return out


def resolve_seed(catalog: Catalog, seed: Seed) -> ResolvedSeed:
    """Find the catalog track a seed names; UnknownTrackError when none fits."""
    query = seed.query.strip()
    link_id = spotify_track_id(query)
    if link_id is not None:
        row = catalog.index_of(link_id)
        if row is None:
            raise UnknownTrackError(
                query, reason=f"Spotify track {link_id} is not in the catalog"
            )
        return ResolvedSeed(seed, row, link_id, catalog.label(row), "spotify-link")
    row = catalog.index_of(query)
    if row is not None:
        return ResolvedSeed(seed, row, query, catalog.label(row), "id")
    match = catalog.match_text(query)
    row = match.rows[0]
    return ResolvedSeed(
        seed,
        row,
        str(catalog.cells("track_id", [row])[0]),
        catalog.label(row),
        match.how,
        match.score,
        catalog.labels(match.alternatives),
    )
