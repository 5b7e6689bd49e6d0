"""Feature providers for songs outside the catalog, tried in order (the Recommender
has already looked in the catalog and in the user's table of tracks added before):

1. Spotify's audio-features endpoint, for apps that still have access: a 403 or 404 is
   reported once, and the chain moves on;
2. ReccoBeats (no key; by Spotify id). It answers on Spotify's scales (0-1 for the
   unit features, dB, BPM, 0-11 keys); each value is still checked against the
   canonical ranges, and 0-100 percentages are brought back to 0-1;
3. a CSV file the user supplies (``track_id`` plus feature columns).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from musicrec.data.schema import AUDIO_FEATURES, VALID_RANGES
from musicrec.errors import MusicrecError
from musicrec.spotify.client import FeaturesClosedError, SpotifyClient, SpotifyError
from musicrec.spotify.settings import SpotifySettings

FEATURES = (*AUDIO_FEATURES, "duration_ms")
_UNIT = {f for f, (lo, hi) in VALID_RANGES.items() if (lo, hi) == (0.0, 1.0)}


def clean_features(raw: dict) -> dict[str, float]:
    """Known features only, as floats on the canonical scales; out-of-range values drop.

    A 0-1 feature given as a percentage (1 < value <= 100) is divided by 100.
    """
    out: dict[str, float] = {}
    for name in FEATURES:
        value = raw.get(name)
        if value is None or isinstance(value, bool):
            continue
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(value):
            continue
        if name in _UNIT and 1.0 < value <= 100.0:
            value /= 100.0
        lo, hi = VALID_RANGES.get(name, (-math.inf, math.inf))
        if lo <= value <= hi:
            out[name] = value
    return out


class FeatureProvider(ABC):
    """Gives audio features for Spotify track ids it knows."""

    name: str = ""

    @abstractmethod
    def features(self, track_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Features per id, for the ids it has (others are left out)."""


class SpotifyFeaturesProvider(FeatureProvider):
    """Spotify's /audio-features, while it answers; closed for good after a 403/404."""

    name = "spotify"

    def __init__(self, client: SpotifyClient) -> None:
        self.client = client
        self.closed: str | None = None

    def features(self, track_ids):
        if self.closed or not self.client.settings.has_credentials:
            return {}
        try:
            answers = self.client.audio_features(track_ids)
        except FeaturesClosedError as exc:
            self.closed = str(exc)
            return {}
        return {t: clean_features(a) for t, a in zip(track_ids, answers, strict=False) if a}


class ReccoBeatsProvider(FeatureProvider):
    """ReccoBeats' free audio-features API, by Spotify id; waits out 429 Retry-After."""

    name = "reccobeats"

    def __init__(self, settings: SpotifySettings, retries: int = 3, backoff: float = 0.3):
        self.settings = settings
        self.retries = retries
        self.backoff = backoff
        self._session = None

    def session(self):
        if self._session is None:
            import requests
            from urllib3.util.retry import Retry

            session = requests.Session()
            retry = Retry(total=self.retries, connect=self.retries, read=False,
                          status=self.retries, backoff_factor=self.backoff,
                          status_forcelist=(429, 500, 502, 503, 504),
                          allowed_methods=frozenset({"GET"}), respect_retry_after_header=True)
            session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
            session.mount("https://", requests.adapters.HTTPAdapter(max_retries=retry))
            self._session = session
        return self._session

    def features(self, track_ids):
        import requests

        url = self.settings.reccobeats_url + "audio-features"
        try:
            response = self.session().get(url, params={"ids": ",".join(track_ids)},
                                          timeout=self.settings.timeout)
        except requests.exceptions.RetryError:
            raise SpotifyError("ReccoBeats kept answering with errors or 429 after "
                               f"{self.retries} retries; try again later") from None
        except requests.exceptions.Timeout:
            raise SpotifyError(f"ReccoBeats did not answer within {self.settings.timeout:.0f} s"
                               ) from None
        except requests.exceptions.ConnectionError:
            raise SpotifyError(f"cannot reach ReccoBeats ({self.settings.reccobeats_url}); is "
                               "the network down?") from None
        if response.status_code == 404:
            return {}
        if response.status_code >= 400:
            raise SpotifyError(f"ReccoBeats answered HTTP {response.status_code}")
        try:
            items = response.json().get("content") or []
        except (ValueError, AttributeError):
            raise SpotifyError("ReccoBeats sent an answer that is not valid JSON") from None
        wanted = set(track_ids)
        out = {}
        for item in items:
            if not isinstance(item, dict):
                continue
            spotify_id = str(item.get("href") or "").rstrip("/").rsplit("/", 1)[-1]
            if spotify_id in wanted:
                found = clean_features(item)
                if found:
                    out[spotify_id] = found
        return out


class CsvFeaturesProvider(FeatureProvider):
    """Features from the user's CSV or Parquet file (``track_id`` plus feature columns)."""

    name = "file"

    def __init__(self, path: Path) -> None:
        from musicrec.data.importers.common import read_table
        from musicrec.data.schema import require_columns

        self.path = Path(path)
        table = read_table(self.path)
        require_columns(table, ("track_id",), self.path)
        self.rows = {str(r["track_id"]): r for r in table.to_dict("records")}

    def features(self, track_ids):
        out = {}
        for t in track_ids:
            if t in self.rows:
                found = clean_features(self.rows[t])
                if found:
                    out[t] = found
        return out


@dataclass
class ChainResult:
    """Features found per id, which provider gave them, and what went wrong on the way."""

    features: dict[str, dict[str, float]] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def run_chain(providers: Sequence[FeatureProvider], track_ids: Sequence[str]) -> ChainResult:
    """Ask each provider in turn for the ids still missing; a provider's failure is noted
    and the chain moves on."""
    result = ChainResult()
    missing = list(dict.fromkeys(track_ids))
    for provider in providers:
        if not missing:
            break
        try:
            found = provider.features(missing)
        except MusicrecError as exc:
            result.problems.append(f"{provider.name}: {exc}")
            continue
        closed = getattr(provider, "closed", None)
        if closed and not any(p.startswith(f"{provider.name}:") for p in result.problems):
            result.problems.append(f"{provider.name}: {closed}")
        for t, features in found.items():
            if t in missing and features:
                result.features[t] = features
                result.source[t] = provider.name
        missing = [t for t in missing if t not in result.features]
    return result
