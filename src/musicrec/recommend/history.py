"""A mix from what someone played last: their recent plays are the seeds (the newest
weigh most), and nothing they played lately comes back."""

from __future__ import annotations

from collections.abc import Sequence

from musicrec.recommend.recommender import Recommender
from musicrec.recommend.request import RecommendRequest
from musicrec.recommend.results import Recommendation
from musicrec.recommend.seeds import Seed

#: Distinct recent tracks taken as seeds, and how fast older ones weigh less
RECENT_SEEDS, DECAY = 20, 0.9


def recent_plays_mix(rec: Recommender, played: Sequence[str], k: int = 50,
                     exclude_last: int = 200) -> Recommendation:
    """Tracks like the most recently played ones (``played``: catalog track ids, newest
    first, repeats allowed); none of the last ``exclude_last`` plays comes back."""
    seen: dict[str, None] = {}
    for track_id in played:
        if rec.catalog.index_of(track_id) is not None:
            seen.setdefault(track_id)
    seeds = list(seen)[:RECENT_SEEDS]
    if not seeds:
        from musicrec.errors import InvalidArgumentError

        raise InvalidArgumentError("no recent plays of tracks in this catalog to mix from")
    recent = set(list(seen)[:exclude_last])
    request = RecommendRequest([Seed(t, DECAY ** i) for i, t in enumerate(seeds)],
                               k=min(500, k + len(recent)))
    result = rec.recommend(request)
    result.results = [r for r in result.results if r.track_id not in recent][:k]
    for rank, r in enumerate(result.results, start=1):
        r.rank = rank
    return result
